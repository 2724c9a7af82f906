kw_tool(net-filter filter net_filter filter/net_filter_names.cpp filter/net_filter_parse.cpp filter/net_filter_compile.cpp filter/net_filter_match.cpp filter/net_filter_record.cpp
  filter/net_filter_learn_collapse.cpp filter/net_filter_learn_policy.cpp filter/net_filter_learn_diff.cpp)
pkg_check_modules(PCAP REQUIRED libpcap)
target_include_directories(net_filter_core PUBLIC ${PCAP_INCLUDE_DIRS})
target_link_libraries(net_filter_core PUBLIC ${PCAP_LIBRARIES})

# Benchmark load generator (not installed): bench/net-filter.sh builds on it.
if(NOT KWARDEN_FUZZ)
  # Not pure (nfnetlink): the daemon's, not the core's.
  target_sources(net-filter PRIVATE filter/net_filter_conntrack.cpp filter/net_filter_maps.cpp)
  add_executable(nf-blast test/helpers/nf_blast.c)
  target_compile_options(nf-blast PRIVATE ${KW_WARN})
  # The verifier's budget check of the tests (test/lib.sh), not installed:
  # test/vm/run ships it to the VM next to lib.sh.
  add_executable(verified-insns test/helpers/verified_insns.c)
  target_compile_options(verified-insns PRIVATE ${KW_WARN})
  target_link_libraries(verified-insns PRIVATE bpf_static)
endif()
# net-filter learn (docs/learn.md): a BPF object of its own, the learner's,
# and the code that loads it; the filter's object stays as it is.
if(NOT KWARDEN_FUZZ)
  target_sources(net-filter PRIVATE filter/net_filter_learner.cpp filter/net_filter_learn_command.cpp)
  kw_bpf_skeleton(net-filter filter/net_filter_learn.bpf.c)
endif()

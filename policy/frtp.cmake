kw_tool(frtp policy frtp policy/frtp_names.cpp policy/frtp_parse.cpp policy/frtp_compile.cpp policy/frtp_evaluate.cpp
  policy/frtp_record.cpp policy/frtp_members.cpp policy/frtp_explainer.cpp
  policy/frtp_learn_volatile.cpp policy/frtp_learn_collapse.cpp policy/frtp_learn_mounts.cpp
  policy/frtp_learn_policy.cpp policy/frtp_learn_diff.cpp)
# frtp learn (docs/learn.md): a BPF object of its own, the learner's, and the
# code that loads it; the enforcer's object stays as it is.
if(NOT KWARDEN_FUZZ)
  target_sources(frtp PRIVATE policy/frtp_learner.cpp policy/frtp_learn_command.cpp)
  kw_bpf_skeleton(frtp policy/frtp_learn.bpf.c)
endif()

# kwarden-audit: the audit report and status command (audit/, docs/audit.md).
# Its pure part links into the unit tests; the fuzz build has no use for it.
if(KWARDEN_FUZZ)
  return()
endif()
kw_tool_core(audit kwarden_audit ${CMAKE_SOURCE_DIR}/audit/audit_event.cpp
  ${CMAKE_SOURCE_DIR}/audit/audit_report.cpp ${CMAKE_SOURCE_DIR}/audit/time_spec.cpp
  ${CMAKE_SOURCE_DIR}/audit/service_status.cpp ${CMAKE_SOURCE_DIR}/audit/message_ids.cpp)
target_include_directories(kwarden_audit_core PUBLIC ${CMAKE_SOURCE_DIR}/observe ${CMAKE_SOURCE_DIR}/policy
  ${CMAKE_SOURCE_DIR}/filter)
add_executable(kwarden-audit ${CMAKE_SOURCE_DIR}/audit/kwarden_audit.cpp
    ${CMAKE_SOURCE_DIR}/audit/journal_reader.cpp ${CMAKE_SOURCE_DIR}/audit/pin_reader.cpp)
target_compile_options(kwarden-audit PRIVATE ${KW_CXX_WARN})
target_link_libraries(kwarden-audit PRIVATE kwarden_audit_core)
install(TARGETS kwarden-audit RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

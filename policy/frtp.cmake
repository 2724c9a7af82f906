kw_tool(frtp policy frtp policy/frtp_names.cpp policy/frtp_parse.cpp policy/frtp_compile.cpp policy/frtp_evaluate.cpp policy/frtp_record.cpp policy/frtp_members.cpp)

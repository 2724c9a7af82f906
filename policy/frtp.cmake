kw_tool(frtp policy frtp policy/frtp_policy.cpp policy/frtp_record.cpp)

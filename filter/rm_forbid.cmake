kw_tool(rm-forbid filter rm_forbid filter/rm_forbid_policy.cpp filter/rm_forbid_holders.cpp
        filter/rm_forbid_record.cpp)

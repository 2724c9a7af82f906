kw_tool(trace-exec observe trace_exec observe/exec_record.cpp observe/exec_tree.cpp observe/exec_filter.cpp)

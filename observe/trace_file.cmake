kw_tool(trace-file observe trace_file observe/trace_file_record.cpp observe/trace_file_filter.cpp observe/trace_file_top.cpp)

// trace-file filters: from the YAML config (--rules, used by the service) and
// the command line, which overrides it. Applied in the kernel. Who is traced
// (pid, uid, comm, failed) is the process filter trace-exec shares; paths,
// ops and all_files are trace-file's own.
#pragma once

#include "process_filter.h"
#include "trace_file.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kw::tfile {

struct FileFilter {
	ProcessFilter process;
	std::vector<std::string> paths; // absolute prefixes, normalised
	uint32_t ops = (1u << TF_OP_COUNT) - 1;
	bool all_files = false; // read/write/close on non-regular files too

	std::string describe() const;
};

// Keys: pid, uid, comm, paths, ops, failed, all_files. Throws ConfigError.
FileFilter load_file_filter(const std::string &path);
FileFilter parse_file_filter(const std::string &text, const std::string &name);

// "open,read" or "all" -> mask; throws Error(usage) naming the unknown op.
uint32_t parse_ops(const std::string &list);
std::string ops_string(uint32_t mask);
// Normalises an absolute prefix ("/a//b/" -> "/a/b"); "" when invalid
// (relative, contains . or .., is "/", or is too long); why in *why.
std::string normalize_prefix(const std::string &p, std::string *why = nullptr);
// The kernel's two encodings of a normalised prefix.
tf_prefix encode_prefix(const std::string &normalized);

} // namespace kw::tfile

#include "trace_file_filter.h"

#include "errors.h"
#include "trace_file_record.h"
#include "yaml_file.h"

#include <cstring>
#include <fmt/format.h>

namespace kw::tfile {

static constexpr uint32_t kAllOps = (1u << TF_OP_COUNT) - 1;

std::string ops_string(uint32_t mask)
{
	if ((mask & kAllOps) == kAllOps)
		return "all";
	std::string s;
	for (unsigned i = 0; i < TF_OP_COUNT; i++)
		if (mask & (1u << i))
			s += (s.empty() ? "" : ",") + std::string(op_name(i));
	return s;
}

static std::string op_choices()
{
	std::string s = "all";
	for (unsigned i = 0; i < TF_OP_COUNT; i++)
		s += std::string(", ") + op_name(i);
	return s;
}

uint32_t parse_ops(const std::string &list)
{
	uint32_t mask = 0;
	size_t pos = 0;
	while (pos <= list.size()) {
		size_t end = list.find(',', pos);
		if (end == std::string::npos)
			end = list.size();
		std::string w = list.substr(pos, end - pos);
		pos = end + 1;
		if (w.empty())
			continue;
		if (w == "all") {
			mask |= kAllOps;
			continue;
		}
		auto op = op_from_name(w);
		if (!op)
			throw Error(Errc::usage, fmt::format("unknown operation '{}' (choose from {})", w, op_choices()));
		mask |= 1u << *op;
	}
	if (!mask)
		throw Error(Errc::usage, "no operation given (choose from " + op_choices() + ")");
	return mask;
}

std::string normalize_prefix(const std::string &p, std::string *why)
{
	auto fail = [&](const char *w) {
		if (why)
			*why = w;
		return std::string();
	};
	if (p.empty() || p[0] != '/')
		return fail("a path prefix must be absolute");
	std::string out;
	size_t pos = 0;
	while (pos <= p.size()) {
		size_t end = p.find('/', pos);
		if (end == std::string::npos)
			end = p.size();
		std::string c = p.substr(pos, end - pos);
		pos = end + 1;
		if (c.empty())
			continue;
		if (c == "." || c == "..")
			return fail("a path prefix may not contain . or .. components");
		out += "/" + c;
	}
	if (out.empty())
		return fail("the prefix / matches everything: leave the path filter out instead");
	if (out.size() >= TF_PREFIX_LEN)
		return fail("a path prefix must be shorter than 256 bytes");
	return out;
}

tf_prefix encode_prefix(const std::string &n)
{
	tf_prefix t{};
	t.len = uint16_t(n.size());
	std::memcpy(t.root_first, n.data(), n.size());
	// "/a/b" -> "b\0a\0": components leaf first, each NUL terminated.
	size_t off = 0, end = n.size();
	while (end > 0) {
		size_t start = n.rfind('/', end - 1);
		std::memcpy(t.leaf_first + off, n.data() + start + 1, end - start - 1);
		off += end - start - 1;
		t.leaf_first[off++] = 0;
		end = start;
	}
	return t;
}

std::string FileFilter::describe() const
{
	std::string s;
	if ((ops & kAllOps) != kAllOps)
		s += " ops=" + ops_string(ops);
	if (auto who = process.describe(); !who.empty())
		s += " " + who;
	for (const auto &p : paths)
		s += " path=" + p;
	if (all_files)
		s += " all-files";
	return s.empty() ? "every file operation" : s.substr(1);
}

static FileFilter from_yaml(const YamlFile &y)
{
	FileFilter f;
	const auto &root = y.root();
	f.process = ProcessFilter::from_config(y, "the trace-file config", "paths", "ops", "all_files");
	if (root["paths"]) {
		for (const auto &n : y.as_list(root["paths"], "paths")) {
			std::string why, p = normalize_prefix(y.get_string(n, "a path prefix"), &why);
			if (p.empty())
				y.fail(n, why, "write an absolute directory or file, e.g. /etc or /home/alice/secret");
			f.paths.push_back(p);
		}
		if (f.paths.size() > TF_PREFIX_MAX)
			y.fail(root["paths"], fmt::format("at most {} path prefixes", TF_PREFIX_MAX),
			       "use a common parent directory");
	}
	if (root["ops"]) {
		f.ops = 0;
		for (const auto &n : y.as_list(root["ops"], "ops")) {
			std::string w = y.get_string(n, "an operation");
			if (w == "all") {
				f.ops |= kAllOps;
				continue;
			}
			auto op = op_from_name(w);
			if (!op) {
				std::string near = closest_match(w, {"open", "read", "write", "close", "unlink", "rename",
								     "mkdir", "rmdir", "chmod", "chown", "truncate",
								     "link", "symlink", "all"});
				y.fail(n, "unknown operation '" + w + "'",
				       near.empty() ? "choose from " + op_choices() : "did you mean '" + near + "'?");
			}
			f.ops |= 1u << *op;
		}
		if (!f.ops)
			y.fail(root["ops"], "ops is empty", "leave ops out to trace every operation");
	}
	if (root["all_files"])
		f.all_files = y.get_bool(root["all_files"], "all_files");
	return f;
}

FileFilter load_file_filter(const std::string &path) { return from_yaml(YamlFile::load(path)); }

FileFilter parse_file_filter(const std::string &text, const std::string &name)
{
	return from_yaml(YamlFile::parse(text, name));
}

} // namespace kw::tfile

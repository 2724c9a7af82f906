#include "frtp_learn_policy.h"

#include "config_text.h"
#include "learn_text.h"
#include "frtp_learn.h"
#include "frtp_learn_collapse.h"
#include "frtp_spec.h"
#include "record.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <map>
#include <set>

namespace kw::frtp {

namespace {

// Why a name cannot be a rule's object (empty: it can).
std::string unusable(const std::string &path)
{
	if (path.empty())
		return "their name is unknown: the table of names was full when it was first seen";
	if (path.starts_with("?/"))
		return "their name was deeper than the kernel's path walk";
	if (path.starts_with(".../"))
		return "their path was longer than the kernel's path buffer";
	if (path.ends_with(" (deleted)"))
		return "their name was deleted before its path was read (O_TMPFILE, memfd, unlinked)";
	if (path[0] != '/')
		return "their name is not an absolute path";
	if (invalid_utf8_at(path) || control_char_at(path))
		return "their name is not UTF-8 or holds a control character (a rules file cannot name it)";
	return "";
}

std::string subjects_line(const LearnSubject &s)
{
	switch (s.kind) {
	case LearnSubject::Kind::unit:
		return "    subjects: {unit: " + yaml_scalar(s.name) + "}\n";
	case LearnSubject::Kind::exe:
		return "    subjects: {exe: " + yaml_scalar(s.name) + "}\n";
	case LearnSubject::Kind::all:
		break;
	}
	return "";
}

std::string ops_list(uint32_t ops)
{
	std::string s = ops_text(ops);
	if (s == "all")
		return "all";
	std::string out;
	for (char c : s)
		out += c == ',' ? std::string(", ") : std::string(1, c);
	return "[" + out + "]";
}

std::string some(const std::set<std::string> &all, size_t n)
{
	std::string out;
	size_t i = 0;
	for (const auto &s : all) {
		if (i == n) {
			out += fmt::format(" and {} more", all.size() - n);
			break;
		}
		out += (i++ ? ", " : "") + comment_text(s);
	}
	return out;
}

// The comments above a rule: how often, by whom, when, and which names.
std::string provenance(const LearnedObject &o)
{
	std::string by_op;
	for (auto &[op, n] : o.counts)
		by_op += fmt::format("{}{} {}", by_op.empty() ? "" : ", ", op_name(op), n);
	std::string out = fmt::format("  # {} accesses ({}) by {}\n", o.count(), by_op, some(o.exes, 3));
	out += fmt::format("  # first {}, last {}\n", format_time(o.first_us), format_time(o.last_us));
	std::set<std::string> samples(o.samples.begin(), o.samples.end());
	std::string seen;
	for (const auto &s : samples)
		seen += (seen.empty() ? "" : ", ") + s;
	if (o.tree)
		out += fmt::format("  # a tree for {} names seen below it, {}; e.g. {}\n", o.names, o.why, seen);
	return out;
}

class SubjectWriter {
public:
	SubjectWriter(const LearnedPolicyWriter::Options &o, const MountTable &mounts, const LearnSubject &s)
	    : o_(o), mounts_(mounts), s_(s), slug_(s.slug())
	{
	}

	LearnedPolicy write(const std::vector<const LearnedAccess *> &accesses)
	{
		std::map<std::string, LearnedObject> names;
		std::map<std::string, size_t> left_out;
		for (const LearnedAccess *a : accesses) {
			if (auto why = unusable(a->path); !why.empty()) {
				left_out[why] += a->count;
				continue;
			}
			auto [it, fresh] = names.try_emplace(a->path);
			LearnedObject &o = it->second;
			if (fresh) {
				o.path = a->path;
				o.samples = {a->path};
				o.first_us = a->first_us;
			}
			o.first_us = std::min(o.first_us, a->first_us);
			o.last_us = std::max(o.last_us, a->last_us);
			o.counts[a->op] += a->count;
			if (!a->exe.empty())
				o.exes.insert(a->exe);
			roots_.insert(mounts_.root_of(a->path));
		}
		for (auto &[why, n] : left_out)
			r_.warnings.push_back(fmt::format("{}: {} accesses left out: {}", s_.describe(), n, why));
		r_.yaml += fmt::format("\n  # ---- {} ----\n", comment_text(s_.describe()));
		if (names.empty()) {
			r_.yaml += "  # nothing seen\n";
			r_.warnings.push_back(s_.describe() + ": nothing seen, no rules");
			return std::move(r_);
		}
		std::vector<LearnedObject> list;
		for (auto &[p, o] : names)
			list.push_back(std::move(o));
		for (const auto &o : TreeCollapser::collapse(list))
			allow(o);
		if (o_.deny)
			deny();
		return std::move(r_);
	}

private:
	void allow(const LearnedObject &o)
	{
		r_.yaml += "\n" + provenance(o);
		r_.yaml += fmt::format("  - name: learn-{}-{}\n", slug_, ++n_);
		r_.yaml += fmt::format("    objects: [{}]\n", o.tree ? "{tree: " + yaml_scalar(o.path) + "}" : yaml_scalar(o.path));
		r_.yaml += fmt::format("    operations: {}\n", ops_list(o.ops()));
		r_.yaml += subjects_line(s_);
		r_.yaml += "    action: allow\n";
		r_.rules++;
		(o.tree ? tree_ops_ : exact_ops_)[o.path] |= o.ops();
	}

	// Everything else on the filesystems where it was seen: the allow rules
	// are deeper than these roots, and the deepest object with a rule naming
	// the operation decides (docs/frtp.md, precedence).
	void deny()
	{
		// A rule on the root itself shares its object with the deny rule,
		// and there deny beats allow: a tree's operations are left out of
		// the deny (the tree allows them on the whole filesystem anyway); an
		// exact object's are not (that would open the whole filesystem).
		std::map<uint32_t, std::vector<std::string>> by_ops;
		std::string notes;
		for (const auto &root : roots_) {
			uint32_t ops = FRTP_OP_ALL & ~tree_ops_[root];
			if (uint32_t exact = exact_ops_[root] & ops) {
				std::string w = fmt::format("{}: {} of {} itself stays denied: it is the root the deny rule "
							    "names, and a deny beats an allow on one object",
							    s_.describe(), ops_text(exact), root);
				notes += "  # note: " + comment_text(w) + "\n";
				r_.warnings.push_back(w);
			}
			if (ops)
				by_ops[ops].push_back(root);
		}
		int n = 0;
		for (auto &[ops, roots] : by_ops) {
			std::string objs;
			for (const auto &r : roots)
				objs += (objs.empty() ? "" : ", ") + std::string("{tree: ") + yaml_scalar(r) + "}";
			r_.yaml += fmt::format("\n  # Everything else {} does on the filesystems it was seen on is denied:\n"
					       "  # the rules above name deeper objects and decide first (docs/learn.md).\n{}",
					       comment_text(s_.describe()), notes);
			notes.clear();
			r_.yaml += fmt::format("  - name: learn-{}-deny{}\n", slug_, n++ ? fmt::format("-{}", n) : "");
			r_.yaml += fmt::format("    objects: [{}]\n", objs);
			r_.yaml += fmt::format("    operations: {}\n", ops_list(ops));
			r_.yaml += subjects_line(s_);
			r_.yaml += "    action: deny\n";
			r_.yaml += fmt::format("    mode: {}\n", mode_name(o_.mode));
			r_.rules++;
		}
	}

	const LearnedPolicyWriter::Options &o_;
	const MountTable &mounts_;
	const LearnSubject &s_;
	std::string slug_;
	LearnedPolicy r_; // this subject's part
	size_t n_ = 0;
	std::set<std::string> roots_;
	std::map<std::string, uint32_t> tree_ops_, exact_ops_;
};

} // namespace

LearnedPolicy LearnedPolicyWriter::write(const LearnRun &run) const
{
	LearnedPolicy out;
	std::vector<std::vector<const LearnedAccess *>> per(run.subjects.size());
	uint64_t total = 0;
	for (const auto &a : run.accesses) {
		if (a.subject < per.size())
			per[a.subject].push_back(&a);
		total += a.count;
	}
	std::string from;
	for (const auto &s : run.subjects)
		from += (from.empty() ? "" : ", ") + s.describe();
	std::string &y = out.yaml;
	y += fmt::format("# frtp policy learned by `frtp learn` from {}\n", comment_text(from));
	y += fmt::format("# from {} to {}: {} accesses, {} distinct.\n", format_time(run.start_us),
			 format_time(run.end_us), total, run.accesses.size());
	y += fmt::format("# Its deny rules are in {} mode (their own `mode:`, so that the file is also a drop-in of a\n"
			 "# policy in another mode). Review it, load it, read what it would deny, then enforce\n"
			 "# (docs/learn.md):\n"
			 "#   frtp --check --rules FILE\n"
			 "#   frtp --rules FILE --output journal        (or: in /etc/kwarden/frtp.d/, and reload)\n"
			 "#   journalctl -t frtp MESSAGE_ID=3f6c1a2e9b7d4c58a1e0f2b3c4d5e602\n"
			 "#   sed -i 's/^    mode: audit$/    mode: enforce/' FILE, and reload\n",
			 mode_name(o_.mode));
	// In the file, where it stays; the learner says it on stderr as well.
	auto loud = [&](uint64_t n, const std::string &what) {
		if (n)
			y += fmt::format("# WARNING: {} {}: this policy misses them (docs/learn.md, limits)\n", n, what);
	};
	loud(run.lost_accesses, fmt::format("accesses were not counted: the table of {} distinct accesses was full",
					    FRTP_LEARN_ACCESSES_MAX));
	loud(run.lost_names,
	     fmt::format("distinct accesses have no path: the table of {} names was full", FRTP_LEARN_OBJECTS_MAX));
	loud(run.lost_exes, fmt::format("distinct accesses have no executable path: the table of {} executables was full",
					FRTP_LEARN_EXES_MAX));
	y += "rules:\n";
	for (size_t i = 0; i < run.subjects.size(); i++) {
		auto r = SubjectWriter(o_, mounts_, run.subjects[i]).write(per[i]);
		y += r.yaml;
		out.rules += r.rules;
		out.warnings.insert(out.warnings.end(), r.warnings.begin(), r.warnings.end());
	}
	return out;
}

} // namespace kw::frtp

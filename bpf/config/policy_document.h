// A rules file and its drop-ins read as one policy (docs/drop-ins.md).
// Lists (rules, protected trees, exemptions) are the files' lists one after
// the other, the rules file first; a setting (mode, default...) may be
// written in several files only with the same value, because which file
// "wins" would otherwise depend on file names nobody reviews together.
#pragma once

#include "policy_source.h"
#include "yaml_file.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kw {

class PolicyDocument {
public:
	// Where a value is: its file (for errors) and its node.
	struct At {
		const YamlFile *file;
		YamlNode node;
	};

	// Parses every file of `src`; each must be a mapping (of `what`) whose
	// keys are among `keys`. Throws ConfigError naming the file.
	PolicyDocument(const PolicySource &src, const std::string &what, std::initializer_list<std::string_view> keys);
	PolicyDocument(const PolicyDocument &) = delete; // At points into files_

	const YamlFile &main() const { return files_.front(); }
	// The value of a setting and where it is written first; nullopt when no
	// file writes it. Throws when two files write different values, naming both.
	std::optional<At> setting(const std::string &key) const;
	// Each file's value of `key`, in file order, for values the tool merges.
	std::vector<At> each(const std::string &key) const;
	// The entries of the list `key` in every file, in file order; a
	// file's value that is not a list is an error (`not_list`, `hint`).
	std::vector<At> items(const std::string &key, const std::string &not_list, const std::string &hint = {}) const;

	// Refuses more than `max` entries of the list `key` in all files
	// together before any is read, pointing at the list that crosses it.
	void check_count(const std::string &key, size_t max, const std::string &noun, const std::string &hint) const;

private:
	std::vector<YamlFile> files_;
};

} // namespace kw

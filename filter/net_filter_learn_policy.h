// net-filter learn: the rules text. For each subject, accept rules for the
// connections it was seen starting (egress: one per protocol and
// destination port, naming the subject and the destinations; ingress: one
// per protocol and local port, which on ingress cannot name the subject),
// provenance in comments above each, then by default one rule that drops
// the subject's other new outbound connections, `action: audit` until
// enforced (docs/learn.md). Pure: the learned run and the options in, YAML
// out.
#pragma once

#include "mode.h"
#include "net_filter_learn_flow.h"

#include <string>
#include <vector>

namespace kw::nf {

struct LearnedRules {
	std::string yaml;
	size_t accepts = 0; // accept rules written
	size_t rules = 0;   // all rules written
	std::vector<std::string> warnings; // what could not be written, for stderr too
};

class LearnedRulesWriter {
public:
	struct Options {
		bool drop = true;        // false: --no-drop, accept rules only
		Mode mode = Mode::audit; // audit: the drop rules are `action: audit`
	};
	explicit LearnedRulesWriter(Options o) : o_(o) {}

	LearnedRules write(const FlowRun &run) const;

private:
	Options o_;
};

} // namespace kw::nf

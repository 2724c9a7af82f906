// `frtp learn`: its options and its run (docs/learn.md). Watches the
// subjects in the kernel, allowing everything, until --duration or
// SIGINT/SIGTERM, then writes a policy that allows what they did and denies
// them the rest, or, with --diff, what an existing policy would deny them.
#pragma once

#include "frtp_learn_access.h"
#include "learn_options.h"

namespace kw::frtp {

using LearnCommand = kw::LearnCommand<LearnRun>;

} // namespace kw::frtp

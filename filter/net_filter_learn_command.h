// `net-filter learn`: its options and its run (docs/learn.md). Watches the
// subjects' connections in the kernel, dropping nothing, until --duration
// or SIGINT/SIGTERM, then writes net-filter rules that accept what they
// started and drop the rest of their new outbound connections, or, with
// --diff, what an existing rules file would drop of it.
#pragma once

#include "learn_options.h"
#include "net_filter_learn_flow.h"

namespace kw::nf {

using LearnCommand = kw::LearnCommand<FlowRun>;

} // namespace kw::nf

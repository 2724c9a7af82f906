// frtp learn's kernel side (frtp_learner.cpp): frtp_learn.bpf.c on the BPF
// LSM hooks, its tables read back into a LearnRun (docs/learn.md).
#pragma once

#include "frtp_learn_access.h"
#include "learner.h"

namespace kw::frtp {

using Learner = kw::Learner<LearnRun>;

} // namespace kw::frtp

// The members of Learner<Run> (learner.h) every learner defines alike, from
// its Impl's `table` (a std::optional<LearnTable>). For a tool's learner
// .cpp only: included after its Impl, then `template class Learner<Run>;`.
#pragma once

#include "learn_table.h"
#include "learner.h"

namespace kw {

template <typename Run> Learner<Run>::~Learner() = default;

template <typename Run> uint64_t Learner<Run>::distinct() const { return impl_->table->distinct(); }

template <typename Run> uint64_t Learner<Run>::lost() const { return impl_->table->lost(); }

} // namespace kw

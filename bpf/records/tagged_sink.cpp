#include "tagged_sink.h"

namespace kw {

void TaggedSink::write(const Record &r)
{
	Record tagged = r;
	tagged.add(name_, value_);
	inner_->write(tagged);
}

} // namespace kw

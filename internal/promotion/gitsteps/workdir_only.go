package gitsteps

// These steps change nothing but checkouts in the work directory
// (promotion.WorkDirOnly); git-push and github-push, which change the
// remote, are not among them.

func (*Clone) WorkDirOnly() {}
func (Clear) WorkDirOnly()  {}
func (Commit) WorkDirOnly() {}
func (Tag) WorkDirOnly()    {}

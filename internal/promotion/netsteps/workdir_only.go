package netsteps

// The downloads only write into the work directory (promotion.WorkDirOnly);
// http and oci-push act on other servers and are not among them.

func (*HTTPDownload) WorkDirOnly() {}
func (*OCIDownload) WorkDirOnly()  {}

// http sends a request and reads its response into step outputs, never a
// file (promotion.NoWorkDir).
func (*HTTP) NoWorkDir() {}

package netsteps

// The configuration types of the network steps, so a Promotion naming a
// field a step does not know is refused before any step runs
// (promotion.ConfigSchema).

func (*HTTP) ConfigType() any         { return httpConfig{} }
func (*HTTPDownload) ConfigType() any { return downloadConfig{} }
func (*OCIDownload) ConfigType() any  { return ociDownloadConfig{} }
func (*OCIPush) ConfigType() any      { return ociPushConfig{} }

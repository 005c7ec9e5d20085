package steps

// These steps change nothing but the work directory and their outputs
// (promotion.WorkDirOnly): the engine saves status after them only with the
// next step that has effects elsewhere.

func (KustomizeSetImage) WorkDirOnly() {}
func (YAMLUpdate) WorkDirOnly()        {}
func (HelmUpdateChart) WorkDirOnly()   {}
func (KustomizeBuild) WorkDirOnly()    {}
func (HelmTemplate) WorkDirOnly()      {}
func (Copy) WorkDirOnly()              {}
func (Delete) WorkDirOnly()            {}
func (FileWrite) WorkDirOnly()         {}
func (YAMLParse) WorkDirOnly()         {}
func (JSONParse) WorkDirOnly()         {}
func (TOMLParse) WorkDirOnly()         {}
func (YAMLMerge) WorkDirOnly()         {}
func (JSONUpdate) WorkDirOnly()        {}
func (TOMLUpdate) WorkDirOnly()        {}
func (Tar) WorkDirOnly()               {}
func (Untar) WorkDirOnly()             {}
func (ComposeOutput) WorkDirOnly()     {}

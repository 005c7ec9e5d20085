package metasteps

// These steps write only cluster objects (promotion.NoWorkDir).
func (SetMetadata) NoWorkDir()     {}
func (SetFreightAlias) NoWorkDir() {}

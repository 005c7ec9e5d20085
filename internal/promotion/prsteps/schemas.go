package prsteps

// The configuration types of the steps, so a Promotion naming a field a
// step does not know is refused before any step runs
// (promotion.ConfigSchema).

func (*OpenPR) ConfigType() any    { return openConfig{} }
func (*WaitForPR) ConfigType() any { return waitConfig{} }
func (*MergePR) ConfigType() any   { return mergeConfig{} }

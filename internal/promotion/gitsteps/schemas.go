package gitsteps

// The configuration types of the git steps, so a Promotion naming a field a
// step does not know is refused before any step runs
// (promotion.ConfigSchema).

func (Clear) ConfigType() any  { return clearConfig{} }
func (*Clone) ConfigType() any { return cloneConfig{} }
func (Commit) ConfigType() any { return commitConfig{} }
func (*Push) ConfigType() any  { return pushConfig{} }
func (Tag) ConfigType() any    { return tagConfig{} }

package steps

// The configuration types of the steps, so a Promotion naming a field a step
// does not know is refused before any step runs (promotion.ConfigSchema).

func (Copy) ConfigType() any              { return copyConfig{} }
func (Delete) ConfigType() any            { return deleteConfig{} }
func (HelmTemplate) ConfigType() any      { return helmTemplateConfig{} }
func (HelmUpdateChart) ConfigType() any   { return helmUpdateChartConfig{} }
func (KustomizeBuild) ConfigType() any    { return kustomizeBuildConfig{} }
func (KustomizeSetImage) ConfigType() any { return kustomizeSetImageConfig{} }
func (Fail) ConfigType() any              { return failConfig{} }
func (YAMLUpdate) ConfigType() any        { return yamlUpdateConfig{} }
func (FileWrite) ConfigType() any         { return fileWriteConfig{} }
func (YAMLParse) ConfigType() any         { return parseConfig{} }
func (JSONParse) ConfigType() any         { return parseConfig{} }
func (TOMLParse) ConfigType() any         { return parseConfig{} }
func (YAMLMerge) ConfigType() any         { return yamlMergeConfig{} }
func (JSONUpdate) ConfigType() any        { return jsonUpdateConfig{} }
func (TOMLUpdate) ConfigType() any        { return tomlUpdateConfig{} }
func (Tar) ConfigType() any               { return tarConfig{} }
func (Untar) ConfigType() any             { return untarConfig{} }

// validateAs decodes and checks a literal configuration as the step will
// (promotion.ConfigValidator).
func validateAs[T any, P interface {
	*T
	validate() error
}](config map[string]any) error {
	var c T
	return decode(config, P(&c))
}

func (Copy) ValidateConfig(c map[string]any) error         { return validateAs[copyConfig](c) }
func (Delete) ValidateConfig(c map[string]any) error       { return validateAs[deleteConfig](c) }
func (FileWrite) ValidateConfig(c map[string]any) error    { return validateAs[fileWriteConfig](c) }
func (HelmTemplate) ValidateConfig(c map[string]any) error { return validateAs[helmTemplateConfig](c) }
func (HelmUpdateChart) ValidateConfig(c map[string]any) error {
	return validateAs[helmUpdateChartConfig](c)
}
func (JSONUpdate) ValidateConfig(c map[string]any) error { return validateAs[jsonUpdateConfig](c) }
func (KustomizeBuild) ValidateConfig(c map[string]any) error {
	return validateAs[kustomizeBuildConfig](c)
}
func (KustomizeSetImage) ValidateConfig(c map[string]any) error {
	return validateAs[kustomizeSetImageConfig](c)
}
func (YAMLParse) ValidateConfig(c map[string]any) error  { return validateAs[parseConfig](c) }
func (JSONParse) ValidateConfig(c map[string]any) error  { return validateAs[parseConfig](c) }
func (TOMLParse) ValidateConfig(c map[string]any) error  { return validateAs[parseConfig](c) }
func (Tar) ValidateConfig(c map[string]any) error        { return validateAs[tarConfig](c) }
func (TOMLUpdate) ValidateConfig(c map[string]any) error { return validateAs[tomlUpdateConfig](c) }
func (Untar) ValidateConfig(c map[string]any) error      { return validateAs[untarConfig](c) }
func (YAMLMerge) ValidateConfig(c map[string]any) error  { return validateAs[yamlMergeConfig](c) }
func (YAMLUpdate) ValidateConfig(c map[string]any) error { return validateAs[yamlUpdateConfig](c) }

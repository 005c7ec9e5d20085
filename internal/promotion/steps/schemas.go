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

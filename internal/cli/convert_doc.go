package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
)

// Severity of a conversion finding.
type Severity string

// Severities: Unsupported means Railyard would ignore or reject it;
// Deprecated means Railyard accepts it but a newer spelling exists; Note is
// for information.
const (
	SeverityUnsupported Severity = "unsupported"
	SeverityDeprecated  Severity = "deprecated"
	SeverityNote        Severity = "note"
)

// Finding is something convert reports about the input, at a line of it.
type Finding struct {
	Line     int
	Severity Severity
	Message  string
}

func (f Finding) String() string {
	return fmt.Sprintf("line %d: %s: %s", f.Line, f.Severity, f.Message)
}

const kargoGroup = "kargo.akuity.io"

// railyardKinds are the Kargo kinds Railyard has, by the same name.
var railyardKinds = map[string]bool{
	"Project": true, "ProjectConfig": true, "Warehouse": true, "Stage": true, "Freight": true,
	"Promotion": true, "PromotionTask": true, "ClusterPromotionTask": true,
}

// railyardKeys are the label and annotation names (after the prefix)
// Railyard reads.
var railyardKeys = map[string]bool{}

func init() {
	for _, k := range []string{
		railyard.AnnotationRefresh, railyard.AnnotationAbort, railyard.AnnotationAuthorizedStage,
		railyard.AnnotationKeepNamespace, railyard.AnnotationCreateActor, railyard.AnnotationDescription,
		railyard.AnnotationPromotion, railyard.LabelAlias, railyard.LabelShard, railyard.LabelStage,
		railyard.LabelProject, railyard.LabelCredType,
	} {
		railyardKeys[strings.TrimPrefix(k, railyard.Prefix)] = true
	}
}

// Convert rewrites a stream of Kargo manifests into Railyard manifests,
// keeping comments, and reports what Railyard does not support. Documents
// that are not Kargo kinds pass through unchanged.
func Convert(in []byte) ([]byte, []Finding, error) {
	// One decoder over the whole stream keeps line numbers absolute.
	dec := yaml.NewDecoder(bytes.NewReader(in))
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	var findings []Finding
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("parsing YAML: %w", err)
		}
		if len(doc.Content) == 0 || isEmptyDoc(&doc) {
			continue
		}
		findings = append(findings, convertDoc(doc.Content[0])...)
		if err := enc.Encode(&doc); err != nil {
			return nil, nil, fmt.Errorf("writing YAML: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("writing YAML: %w", err)
	}
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].Line < findings[j].Line })
	return out.Bytes(), findings, nil
}

// convertDoc edits one document in place.
func convertDoc(root *yaml.Node) []Finding {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	rn := yaml.NewRNode(root)
	apiVersion := rn.Field(yaml.APIVersionField)
	group, version, _ := strings.Cut(rn.GetApiVersion(), "/")
	if apiVersion == nil {
		return nil
	}
	if group != kargoGroup {
		return checkKargoKeys(rn)
	}
	kind := rn.GetKind()
	name := rn.GetName()
	line := root.Line
	if !railyardKinds[kind] {
		return []Finding{{line, SeverityUnsupported, fmt.Sprintf("%s %s: kind %s is not supported by Railyard yet; left unchanged, remove it before applying", kind, name, kind)}}
	}
	var findings []Finding
	if version != "v1alpha1" {
		findings = append(findings, Finding{apiVersion.Value.YNode().Line, SeverityNote, fmt.Sprintf("%s %s: %s/%s converted to %s as is", kind, name, kargoGroup, version, railyard.GroupVersion)})
	}
	apiVersion.Value.YNode().Value = railyard.GroupVersion.String()
	findings = append(findings, renameKeys(rn, kind, name)...)
	findings = append(findings, checkFields(root, kind, name)...)
	findings = append(findings, deprecations(rn, kind, name)...)
	findings = append(findings, checkSteps(root, kind, name)...)
	if kind == "Freight" {
		findings = append(findings, checkFreightName(rn, name)...)
	}
	return findings
}

// renameKeys moves kargo.akuity.io/ label and annotation keys to
// railyard.dev/.
func renameKeys(rn *yaml.RNode, kind, name string) []Finding {
	var findings []Finding
	for _, field := range []string{"labels", "annotations"} {
		m, err := rn.Pipe(yaml.Lookup(yaml.MetadataField, field))
		if err != nil || m == nil || m.YNode().Kind != yaml.MappingNode {
			continue
		}
		content := m.YNode().Content
		existing := map[string]bool{}
		for i := 0; i+1 < len(content); i += 2 {
			existing[content[i].Value] = true
		}
		for i := 0; i+1 < len(content); i += 2 {
			key := content[i]
			rest, ok := strings.CutPrefix(key.Value, railyard.KargoPrefix)
			if !ok {
				continue
			}
			what := strings.TrimSuffix(field, "s")
			if existing[railyard.Prefix+rest] {
				findings = append(findings, Finding{key.Line, SeverityNote, fmt.Sprintf("%s %s: %s %s kept as is: %s%s is also set", kind, name, what, key.Value, railyard.Prefix, rest)})
				continue
			}
			if !railyardKeys[rest] {
				findings = append(findings, Finding{key.Line, SeverityUnsupported, fmt.Sprintf("%s %s: %s %s has no meaning in Railyard yet (renamed to %s%s)", kind, name, what, key.Value, railyard.Prefix, rest)})
			}
			key.Value = railyard.Prefix + rest
		}
	}
	return findings
}

// deprecations lists deprecated Kargo fields that Railyard still accepts.
func deprecations(rn *yaml.RNode, kind, name string) []Finding {
	var findings []Finding
	report := func(n *yaml.RNode, field, instead string) {
		if f := n.Field(field); f != nil {
			findings = append(findings, Finding{f.Key.YNode().Line, SeverityDeprecated, fmt.Sprintf("%s %s: %s is deprecated in Kargo; Railyard accepts it, prefer %s", kind, name, field, instead)})
		}
	}
	switch kind {
	case "Warehouse":
		subs, _ := rn.Pipe(yaml.Lookup("spec", "subscriptions"))
		if subs == nil {
			return nil
		}
		elems, _ := subs.Elements()
		for _, s := range elems {
			if img := s.Field("image"); img != nil {
				report(img.Value, "semverConstraint", "constraint")
				report(img.Value, "allowTags", "allowTagsRegexes")
				report(img.Value, "ignoreTags", "ignoreTagsRegexes")
			}
			if git := s.Field("git"); git != nil {
				report(git.Value, "allowTags", "allowTagsRegexes")
				report(git.Value, "ignoreTags", "ignoreTagsRegexes")
			}
		}
	case "ProjectConfig":
		pols, _ := rn.Pipe(yaml.Lookup("spec", "promotionPolicies"))
		if pols == nil {
			return nil
		}
		elems, _ := pols.Elements()
		for _, p := range elems {
			report(p, "stage", "stageSelector.name")
		}
	}
	return findings
}

// checkFreightName notes Freight whose name is not Railyard's content
// address of its artifacts: Railyard keeps the name, but a Warehouse
// discovering the same artifacts would create them again under the address.
func checkFreightName(rn *yaml.RNode, name string) []Finding {
	b, err := rn.MarshalJSON()
	if err != nil {
		return nil
	}
	var f railyard.Freight
	if err := json.Unmarshal(b, &f); err != nil {
		return []Finding{{rn.YNode().Line, SeverityUnsupported, fmt.Sprintf("Freight %s: %v", name, err)}}
	}
	if id := freight.IDOf(&f); name != "" && id != name {
		line := rn.YNode().Line
		if n, _ := rn.Pipe(yaml.Lookup(yaml.MetadataField, yaml.NameField)); n != nil {
			line = n.YNode().Line
		}
		return []Finding{{line, SeverityNote, fmt.Sprintf("Freight %s: Railyard names this content %s; the Freight keeps its name, but a Warehouse discovering the same artifacts would create it again under that name", name, id)}}
	}
	return nil
}

// isEmptyDoc reports a document with nothing in it, such as what follows a
// trailing "---".
func isEmptyDoc(doc *yaml.Node) bool {
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" &&
		doc.HeadComment == "" && doc.FootComment == "" && n.HeadComment == "" && n.FootComment == ""
}

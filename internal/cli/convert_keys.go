package cli

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// honouredKargoKeys are the kargo.akuity.io/ labels and annotations
// Railyard reads as they are, on objects convert leaves alone (Argo CD
// Applications, Secrets, Namespaces).
var honouredKargoKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range railyard.KargoKeysHonoured {
		m[k] = true
	}
	return m
}()

// checkKargoKeys reports the kargo.akuity.io/ labels and annotations of a
// document that is not a Kargo kind which Railyard does not honour.
func checkKargoKeys(rn *yaml.RNode) []Finding {
	kind, name := rn.GetKind(), rn.GetName()
	var findings []Finding
	for _, field := range []string{"labels", "annotations"} {
		m, err := rn.Pipe(yaml.Lookup(yaml.MetadataField, field))
		if err != nil || m == nil || m.YNode().Kind != yaml.MappingNode {
			continue
		}
		content := m.YNode().Content
		for i := 0; i+1 < len(content); i += 2 {
			key := content[i]
			if strings.HasPrefix(key.Value, railyard.KargoPrefix) && !honouredKargoKeys[key.Value] {
				findings = append(findings, Finding{key.Line, SeverityUnsupported, fmt.Sprintf("%s %s: %s %s is not honoured by Railyard", kind, name, field[:len(field)-1], key.Value)})
			}
		}
	}
	return findings
}

package rollouts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"github.com/railyard-dev/railyard/internal/naming"
)

var (
	// ErrNotInstalled: the Argo Rollouts CRDs are not installed.
	ErrNotInstalled = errors.New("Argo Rollouts is not installed (no AnalysisRun kind in the cluster)") //nolint:staticcheck // a proper noun
	// ErrTemplateNotFound: a referenced template does not exist.
	ErrTemplateNotFound = errors.New("analysis template not found")
	// ErrInvalid: the templates and arguments do not make a valid run
	// (undeclared or unresolved arguments, duplicate or malformed metrics).
	// Retrying does not help until the Stage or a template changes.
	ErrInvalid = errors.New("invalid analysis")
)

// BuildOptions describe the AnalysisRun to build for one verification.
type BuildOptions struct {
	// Namespace of the Stage (the project); namespaced templates are read and
	// the run is created there.
	Namespace string
	// Stage that verifies.
	Stage string
	// Freight names of the verified collection. Each Freight owns the run,
	// so deleting a Freight deletes its runs (as in Kargo).
	Freight []string
	// FreightCollectionID labels the run; computed from Freight (as
	// freight.CollectionID does) when empty.
	FreightCollectionID string
	// Promotion whose completion started this verification; empty for a
	// re-verification.
	Promotion string
	// Verification is the ID of the verification the run carries out
	// (AnnotationVerification).
	Verification string
	// Reverifies is, for a re-verification, the ID of the verification it
	// repeats (AnnotationReverifies).
	Reverifies string
	// Actor asked for the re-verification (AnnotationActor).
	Actor string
	// Templates are the Stage's spec.verification.analysisTemplates.
	Templates []railyard.AnalysisTemplateReference
	// Args are the Stage's spec.verification.args with their expressions
	// already evaluated. Each must be declared by a template.
	Args []railyard.AnalysisRunArgument
	// Metadata is spec.verification.analysisRunMetadata: labels and
	// annotations added to the run (Railyard's own keys win).
	Metadata railyard.AnalysisRunMetadata
	// ControllerInstanceID, when set, labels the run for the Argo Rollouts
	// controller started with that --instance-id.
	ControllerInstanceID string
	// Now dates the run's name; time.Now() when zero.
	Now time.Time
}

// BuildAnalysisRun reads the referenced AnalysisTemplates and
// ClusterAnalysisTemplates (and the templates they nest) with reader, merges
// them as Argo Rollouts does and returns an AnalysisRun ready to be created
// with client.Create. It creates nothing.
//
// The run is named "<stage>.<ulid>.<collection[:7]>" like Kargo's (unique,
// ordered by creation), labelled with the Stage, Freight collection, Freight
// and Promotion, and owned by every Freight (blockOwnerDeletion false).
//
// Errors wrap ErrNotInstalled, ErrTemplateNotFound or ErrInvalid when the
// cause is the cluster's or the user's configuration; other errors come from
// the API server and are worth retrying.
func BuildAnalysisRun(ctx context.Context, reader client.Reader, opts BuildOptions) (*unstructured.Unstructured, error) {
	if opts.Namespace == "" || opts.Stage == "" {
		return nil, errors.New("building an AnalysisRun: namespace and Stage are required")
	}
	if len(opts.Templates) == 0 {
		return nil, fmt.Errorf("%w: the verification references no analysis templates", ErrInvalid)
	}
	templates, err := fetchTemplates(ctx, reader, opts.Namespace, opts.Templates)
	if err != nil {
		return nil, err
	}
	spec, metricFrom, err := mergeTemplates(templates)
	if err != nil {
		return nil, err
	}
	if spec.Args, err = applyArgs(spec.Args, templates, opts.Args); err != nil {
		return nil, err
	}
	owners, err := freightOwners(ctx, reader, opts.Namespace, opts.Freight)
	if err != nil {
		return nil, err
	}

	collection := opts.FreightCollectionID
	if collection == "" {
		collection = collectionID(opts.Freight)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	run := &unstructured.Unstructured{}
	run.SetGroupVersionKind(GroupVersion.WithKind(KindAnalysisRun))
	run.SetNamespace(opts.Namespace)
	run.SetName(naming.PromotionName(opts.Stage, collection, now))
	run.SetLabels(runLabels(opts, collection))
	annotations := runAnnotations(opts)
	origins, err := json.Marshal(metricFrom)
	if err != nil {
		return nil, fmt.Errorf("encoding the metrics' templates: %w", err)
	}
	annotations[AnnotationMetricTemplates] = string(origins)
	run.SetAnnotations(annotations)
	run.SetOwnerReferences(owners)
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the AnalysisRun spec: %w", err)
	}
	run.Object["spec"] = obj
	return run, nil
}

func runLabels(opts BuildOptions, collection string) map[string]string {
	labels := maps.Clone(opts.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelStage] = naming.LabelValue(opts.Stage)
	labels[LabelFreightCollection] = collection
	delete(labels, LabelFreight)
	if len(opts.Freight) == 1 {
		labels[LabelFreight] = naming.LabelValue(opts.Freight[0])
	}
	delete(labels, LabelPromotion)
	if opts.Promotion != "" {
		labels[LabelPromotion] = naming.LabelValue(opts.Promotion)
	}
	if opts.ControllerInstanceID != "" {
		labels[LabelControllerInstanceID] = opts.ControllerInstanceID
	}
	return labels
}

func runAnnotations(opts BuildOptions) map[string]string {
	annotations := maps.Clone(opts.Metadata.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	for _, k := range []string{AnnotationStage, AnnotationFreight, AnnotationPromotion, AnnotationVerification, AnnotationReverifies, AnnotationActor, AnnotationMetricTemplates} {
		delete(annotations, k)
	}
	for k, v := range map[string]string{AnnotationVerification: opts.Verification, AnnotationReverifies: opts.Reverifies, AnnotationActor: opts.Actor} {
		if v != "" {
			annotations[k] = v
		}
	}
	if naming.LabelValue(opts.Stage) != opts.Stage {
		annotations[AnnotationStage] = opts.Stage
	}
	if len(opts.Freight) > 0 {
		annotations[AnnotationFreight] = strings.Join(opts.Freight, ",")
	}
	if opts.Promotion != "" {
		annotations[AnnotationPromotion] = opts.Promotion
	}
	return annotations
}

// collectionID is freight.CollectionID of a collection of these Freight.
func collectionID(names []string) string {
	c := railyard.FreightCollection{Freight: make(map[string]railyard.FreightReference, len(names))}
	for _, n := range names {
		c.Freight[n] = railyard.FreightReference{Name: n}
	}
	return freight.CollectionID(c)
}

// freightOwners reads each Freight for its UID, as owner references need it.
func freightOwners(ctx context.Context, reader client.Reader, namespace string, names []string) ([]metav1.OwnerReference, error) {
	refs := make([]metav1.OwnerReference, 0, len(names))
	for _, name := range names {
		f := &railyard.Freight{}
		if err := reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, f); err != nil {
			return nil, fmt.Errorf("getting Freight %q in namespace %q to own the AnalysisRun: %w", name, namespace, err)
		}
		refs = append(refs, metav1.OwnerReference{
			APIVersion:         railyard.GroupVersion.String(),
			Kind:               "Freight",
			Name:               f.Name,
			UID:                f.UID,
			BlockOwnerDeletion: ptr.To(false),
		})
	}
	return refs, nil
}

// template is a fetched template: its identity (for messages) and spec.
type template struct {
	kind, name string
	spec       TemplateSpec
}

func (t template) String() string { return fmt.Sprintf("%s %q", t.kind, t.name) }

// fetchTemplates reads the referenced templates and, depth first, the ones
// they nest (spec.templates); a template referenced twice counts once.
// Namespaced templates come before cluster templates, as in Kargo.
func fetchTemplates(ctx context.Context, reader client.Reader, namespace string, refs []railyard.AnalysisTemplateReference) ([]template, error) {
	seen := map[string]bool{}
	var namespaced, cluster []template
	var visit func(kind, name, via string) error
	visit = func(kind, name, via string) error {
		key := kind + "/" + name
		if seen[key] {
			return nil
		}
		seen[key] = true
		t, err := fetchTemplate(ctx, reader, namespace, kind, name)
		if err != nil {
			if via != "" {
				err = fmt.Errorf("%w (nested in %s)", err, via)
			}
			return err
		}
		if kind == KindClusterAnalysisTemplate {
			cluster = append(cluster, t)
		} else {
			namespaced = append(namespaced, t)
		}
		for _, nested := range t.spec.Templates {
			nestedKind := KindAnalysisTemplate
			if nested.ClusterScope {
				nestedKind = KindClusterAnalysisTemplate
			}
			if nested.TemplateName == "" {
				return fmt.Errorf("%w: %s nests a template without templateName", ErrInvalid, t)
			}
			if err := visit(nestedKind, nested.TemplateName, t.String()); err != nil {
				return err
			}
		}
		return nil
	}
	for _, ref := range refs {
		kind := ref.Kind
		if kind == "" {
			kind = KindAnalysisTemplate
		}
		if kind != KindAnalysisTemplate && kind != KindClusterAnalysisTemplate {
			return nil, fmt.Errorf("%w: analysis template %q has kind %q; want %s or %s",
				ErrInvalid, ref.Name, ref.Kind, KindAnalysisTemplate, KindClusterAnalysisTemplate)
		}
		if err := visit(kind, ref.Name, ""); err != nil {
			return nil, err
		}
	}
	return append(namespaced, cluster...), nil
}

func fetchTemplate(ctx context.Context, reader client.Reader, namespace, kind, name string) (template, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(GroupVersion.WithKind(kind))
	key := client.ObjectKey{Name: name}
	where := ""
	if kind == KindAnalysisTemplate {
		key.Namespace = namespace
		where = fmt.Sprintf(" in namespace %q", namespace)
	}
	if err := reader.Get(ctx, key, obj); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return template{}, fmt.Errorf("%w: %s %q%s", ErrTemplateNotFound, kind, name, where)
		case meta.IsNoMatchError(err):
			return template{}, fmt.Errorf("getting %s %q: %w", kind, name, ErrNotInstalled)
		default:
			return template{}, fmt.Errorf("getting %s %q%s: %w", kind, name, where, err)
		}
	}
	t := template{kind: kind, name: name}
	specObj, _, _ := unstructured.NestedMap(obj.Object, "spec")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(specObj, &t.spec); err != nil {
		return template{}, fmt.Errorf("%w: reading the spec of %s: %w", ErrInvalid, t, err)
	}
	return t, nil
}

// mergeTemplates concatenates the templates' metrics, dry-run and
// measurement-retention entries (a name twice is an error), merges their
// arguments (two different values for one argument are an error; a value
// fills a declaration without one), and says which template each metric
// came from.
func mergeTemplates(templates []template) (RunSpec, map[string]string, error) {
	var spec RunSpec
	metricFrom := map[string]string{}
	dryRunFrom := map[string]string{}
	retentionFrom := map[string]string{}
	for _, t := range templates {
		for i, m := range t.spec.Metrics {
			name, err := validateMetric(m)
			if err != nil {
				return RunSpec{}, nil, fmt.Errorf("%w: %s: metric %d: %w", ErrInvalid, t, i, err)
			}
			if other, ok := metricFrom[name]; ok {
				return RunSpec{}, nil, fmt.Errorf("%w: metric %q is defined by both %s and %s", ErrInvalid, name, other, t)
			}
			metricFrom[name] = t.String()
			spec.Metrics = append(spec.Metrics, m)
		}
		for _, d := range t.spec.DryRun {
			if other, ok := dryRunFrom[d.MetricName]; ok {
				return RunSpec{}, nil, fmt.Errorf("%w: dry-run metric %q is listed by both %s and %s", ErrInvalid, d.MetricName, other, t)
			}
			dryRunFrom[d.MetricName] = t.String()
			spec.DryRun = append(spec.DryRun, d)
		}
		for _, r := range t.spec.MeasurementRetention {
			if other, ok := retentionFrom[r.MetricName]; ok {
				return RunSpec{}, nil, fmt.Errorf("%w: measurement retention of metric %q is set by both %s and %s", ErrInvalid, r.MetricName, other, t)
			}
			retentionFrom[r.MetricName] = t.String()
			spec.MeasurementRetention = append(spec.MeasurementRetention, r)
		}
		for _, a := range t.spec.Args {
			if a.Name == "" {
				return RunSpec{}, nil, fmt.Errorf("%w: %s declares an argument without a name", ErrInvalid, t)
			}
			i := slices.IndexFunc(spec.Args, func(x Argument) bool { return x.Name == a.Name })
			if i < 0 {
				spec.Args = append(spec.Args, a)
				continue
			}
			existing := &spec.Args[i]
			if existing.Value != nil && a.Value != nil && *existing.Value != *a.Value {
				return RunSpec{}, nil, fmt.Errorf("%w: argument %q has conflicting values %q and %q (in %s)",
					ErrInvalid, a.Name, *existing.Value, *a.Value, t)
			}
			if existing.Value == nil && existing.ValueFrom == nil {
				existing.Value, existing.ValueFrom = a.Value, a.ValueFrom
			}
		}
	}
	if len(spec.Metrics) == 0 {
		return RunSpec{}, nil, fmt.Errorf("%w: the templates (%s) define no metrics", ErrInvalid, templateList(templates))
	}
	return spec, metricFrom, nil
}

// validateMetric checks what Argo Rollouts would reject outright: a metric
// without a name, or without exactly one provider.
func validateMetric(m map[string]any) (string, error) {
	name, _ := m["name"].(string)
	if name == "" {
		return "", errors.New("no name")
	}
	provider, ok := m["provider"].(map[string]any)
	if !ok || len(provider) == 0 {
		return name, fmt.Errorf("metric %q has no provider", name)
	}
	if len(provider) > 1 {
		keys := slices.Sorted(maps.Keys(provider))
		return name, fmt.Errorf("metric %q has more than one provider (%s)", name, strings.Join(keys, ", "))
	}
	return name, nil
}

// applyArgs sets the Stage's arguments on the merged declarations. An
// argument no template declares is an error (Argo Rollouts and Kargo drop it
// silently); so is a declaration left without value or valueFrom. An empty
// value supplies nothing, as in Kargo.
func applyArgs(declared []Argument, templates []template, args []railyard.AnalysisRunArgument) ([]Argument, error) {
	merged := slices.Clone(declared)
	var undeclared []string
	for _, a := range args {
		i := slices.IndexFunc(merged, func(x Argument) bool { return x.Name == a.Name })
		if i < 0 {
			undeclared = append(undeclared, a.Name)
			continue
		}
		if a.Value != "" {
			merged[i].Value = ptr.To(a.Value)
			merged[i].ValueFrom = nil
		}
	}
	if len(undeclared) > 0 {
		return nil, fmt.Errorf("%w: argument(s) %s not declared by the templates (%s)",
			ErrInvalid, quoteAll(undeclared), templateList(templates))
	}
	var unresolved []string
	for _, a := range merged {
		if a.Value == nil && a.ValueFrom == nil {
			unresolved = append(unresolved, fmt.Sprintf("%q (declared by %s)", a.Name, declaredBy(templates, a.Name)))
		}
	}
	if len(unresolved) > 0 {
		return nil, fmt.Errorf("%w: argument(s) %s need a value: set them in the Stage's spec.verification.args",
			ErrInvalid, strings.Join(unresolved, ", "))
	}
	return merged, nil
}

func declaredBy(templates []template, arg string) string {
	var out []string
	for _, t := range templates {
		if slices.ContainsFunc(t.spec.Args, func(a Argument) bool { return a.Name == arg }) {
			out = append(out, t.String())
		}
	}
	return strings.Join(out, ", ")
}

func templateList(templates []template) string {
	out := make([]string, len(templates))
	for i, t := range templates {
		out[i] = t.String()
	}
	return strings.Join(out, ", ")
}

func quoteAll(names []string) string {
	sorted := slices.Clone(names)
	sort.Strings(sorted)
	out := make([]string, len(sorted))
	for i, n := range sorted {
		out[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(out, ", ")
}

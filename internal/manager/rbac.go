package manager

// The manager's permissions, generated into config/rbac/role.yaml by
// `make manifests`. Secrets are read for credentials and by the secret()
// expression function; namespaces are created for Projects. Verification
// creates Argo Rollouts AnalysisRuns from (Cluster)AnalysisTemplates.
//
// +kubebuilder:rbac:groups=railyard.dev,resources=projects;projectconfigs;clusterconfigs;warehouses;freights;stages;promotions;promotiontasks;clusterpromotiontasks,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=railyard.dev,resources=projects/status;projectconfigs/status;clusterconfigs/status;warehouses/status;freights/status;stages/status;promotions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=railyard.dev,resources=projects/finalizers;stages/finalizers;warehouses/finalizers;promotions/finalizers,verbs=update
// +kubebuilder:rbac:groups=railyard.dev,resources=stages,verbs=promote
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets;configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=argoproj.io,resources=applications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=argoproj.io,resources=analysisruns,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=argoproj.io,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

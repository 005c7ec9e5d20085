package actions

import (
	"fmt"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// WarehouseProgress is the Warehouse controller's latest word, for people
// waiting on a refresh: a subscription's error, else the Reconciling or
// Ready message.
func WarehouseProgress(wh *railyard.Warehouse) string {
	for _, sub := range wh.Status.Subscriptions {
		if sub.LastError != "" {
			return fmt.Sprintf("%s %s: %s", sub.Kind, sub.RepoURL, sub.LastError)
		}
	}
	for _, t := range []string{railyard.ConditionReconciling, railyard.ConditionReady} {
		for _, c := range wh.Status.Conditions {
			if c.Type == t && c.Message != "" {
				return c.Type + ": " + c.Message
			}
		}
	}
	return ""
}

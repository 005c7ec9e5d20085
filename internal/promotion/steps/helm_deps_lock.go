package steps

import "fmt"

// lockChanges compares the dependencies of Chart.lock before and after an
// update, as Kargo's commit message does: "name: old -> new" for a changed
// version, "name: version" for an added dependency, "name: removed" for a
// removed one. Changes follow the order of the new lock, removals last.
func lockChanges(before, after []chartDep) []string {
	old := make(map[string]string, len(before))
	for _, d := range before {
		old[d.Name] = d.Version
	}
	var changes []string
	for _, d := range after {
		v, ok := old[d.Name]
		switch {
		case !ok:
			changes = append(changes, fmt.Sprintf("%s: %s", d.Name, d.Version))
		case v != d.Version:
			changes = append(changes, fmt.Sprintf("%s: %s -> %s", d.Name, v, d.Version))
		}
		delete(old, d.Name)
	}
	for _, d := range before {
		if _, removed := old[d.Name]; removed {
			changes = append(changes, d.Name+": removed")
			delete(old, d.Name)
		}
	}
	return changes
}

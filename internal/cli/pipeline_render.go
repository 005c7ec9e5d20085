package cli

import (
	"fmt"
	"io"
	"strings"
)

// renderPipeline draws, per Warehouse, the chain of Stages by level and a
// table of their state:
//
//	Warehouse titiler (newest freight: brave-otter)
//	  titiler ─▶ test ─▶ staging ─▶ prod
func renderPipeline(w io.Writer, v pipelineView) error {
	if len(v.Warehouses) == 0 {
		_, err := fmt.Fprintf(w, "No warehouses in namespace %s. Create one, or choose another project with --project.\n", v.Namespace)
		return err
	}
	for i, wh := range v.Warehouses {
		if i > 0 {
			_, _ = fmt.Fprintln(w)
		}
		header := "Warehouse " + wh.Name
		switch {
		case wh.Missing:
			header += " (not found, but requested by Stages)"
		case wh.NewestFreight != "":
			header += " (newest freight: " + wh.NewestFreight + ")"
		}
		_, _ = fmt.Fprintln(w, header)
		if len(wh.Stages) == 0 {
			_, _ = fmt.Fprintln(w, "  no stage requests its Freight")
			continue
		}
		_, _ = fmt.Fprintln(w, "  "+chain(wh))
		_, _ = fmt.Fprintln(w)
		tw := newTable(w)
		_, _ = fmt.Fprintln(tw, "  STAGE\tFROM\tFREIGHT\tIMAGES\tHEALTH\tPROMOTION")
		for _, s := range wh.Stages {
			fr := s.Alias
			if fr == "" {
				fr = short(s.Freight, 7)
			}
			promo := "-"
			if p := s.Promotion; p != nil {
				promo = orDash(p.Phase) + " " + p.Name
			}
			_, _ = fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Name, strings.Join(s.Sources, ","), orDash(fr),
				orDash(strings.Join(s.Images, ",")), orDash(s.Health), promo)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// chain renders the Stages by level: "wh ─▶ a ─▶ {b, c} ─▶ d".
func chain(wh warehouseView) string {
	parts := []string{wh.Name}
	for i := 0; i < len(wh.Stages); {
		j := i
		var names []string
		for j < len(wh.Stages) && wh.Stages[j].Level == wh.Stages[i].Level {
			names = append(names, wh.Stages[j].Name)
			j++
		}
		if len(names) == 1 {
			parts = append(parts, names[0])
		} else {
			parts = append(parts, "{"+strings.Join(names, ", ")+"}")
		}
		i = j
	}
	return strings.Join(parts, " ─▶ ")
}

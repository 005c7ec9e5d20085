package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// page is what every template gets.
type page struct {
	Session   *auth.Session
	Namespace string
	Crumbs    []crumb
	// Events is the query string of /events for this page's live updates.
	Events string
	Notice string
	Error  string
	Data   any
}

type crumb struct{ Name, Href string }

type pages struct{ byName map[string]*template.Template }

var funcs = template.FuncMap{
	"join": strings.Join,
	"short": func(s string) string {
		if len(s) > 7 {
			return s[:7]
		}
		return s
	},
}

func parsePages() (*pages, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range []string{"projects", "pipeline", "warehouse", "stage", "promotion", "preview", "freights", "freight", "error"} {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render writes a page; the template runs into a buffer first so a
// failure half-way never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	sess, _ := auth.FromContext(r.Context())
	p.Session = sess
	if p.Events == "" && p.Namespace != "" {
		p.Events = "ns=" + url.QueryEscape(p.Namespace)
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("rendering a page", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an error page that says what to do.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, ns string, err error) {
	s.render(w, r, errorStatus(err), "error", page{Namespace: ns, Crumbs: crumbsFor(ns), Error: err.Error()})
}

func crumbsFor(ns string, more ...crumb) []crumb {
	if ns == "" {
		return more
	}
	return append([]crumb{{Name: ns, Href: "/projects/" + url.PathEscape(ns)}}, more...)
}

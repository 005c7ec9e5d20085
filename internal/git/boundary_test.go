package git

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// goGit is the import path prefix of go-git and its subpackages.
const goGit = "github.com/go-git/go-git/"

// boundaryExceptions are the packages outside internal/git allowed to
// import one go-git subpackage, each with the reason. Anything that reads
// or writes a repository belongs in internal/git.
var boundaryExceptions = map[string]string{
	// A .gitignore pattern parser and matcher: it never touches a
	// repository, and copy, tar and untar use it for their exclude lists.
	"internal/promotion/steps " + goGit + "v5/plumbing/format/gitignore": "gitignore pattern matching only",
}

// TestGoGitStaysInsideGitPackage keeps the git boundary closed: only
// internal/git (and its subpackages, such as gittest) import go-git, so
// the steps and discovery use one working-copy type and one replay, and a
// go-git upgrade touches one package. Test files count too.
func TestGoGitStaysInsideGitPackage(t *testing.T) {
	root := moduleRoot(t)
	var leaks []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			switch {
			case rel == "internal/git":
				return filepath.SkipDir
			case path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor"):
				return filepath.SkipDir
			case path != root && fileExists(filepath.Join(path, "go.mod")):
				return filepath.SkipDir // another module (hack/tools)
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, goGit) {
				continue
			}
			if _, ok := boundaryExceptions[pkg+" "+p]; ok {
				continue
			}
			leaks = append(leaks, rel+" imports "+p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) > 0 {
		sort.Strings(leaks)
		t.Errorf("go-git is imported outside internal/git; give internal/git the operation instead "+
			"(or, for a package that never touches a repository, add it to boundaryExceptions with the reason):\n  %s",
			strings.Join(leaks, "\n  "))
	}
}

// moduleRoot is the directory of the module's go.mod, above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for !fileExists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	return dir
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// apiExceptions are the exported names of this package allowed to show a
// go-git type, with the reason. Outside callers could otherwise use go-git
// through such a name without importing it.
var apiExceptions = map[string]string{
	"OpenRepository": "the cache's and this package's tests' way to open a checkout; callers outside use Open",
	"RefUpdate":      "PushRefs's argument, for this package's tests; callers outside use PushCommit and PushTag",
}

// TestExportedAPIHidesGoGit keeps go-git's types out of what this package
// exports, so the import check above cannot be sidestepped by calling
// methods on a returned *gogit.Repository.
func TestExportedAPIHidesGoGit(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var leaks []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		names := goGitNames(f)
		for _, name := range exportedUses(f, names) {
			if _, ok := apiExceptions[name]; !ok {
				leaks = append(leaks, path+": "+name)
			}
		}
	}
	if len(leaks) > 0 {
		sort.Strings(leaks)
		t.Errorf("exported names show go-git types; use this package's own types (CommitInfo, TagInfo, "+
			"Signature, string ids):\n  %s", strings.Join(leaks, "\n  "))
	}
}

// goGitNames are the names f imports go-git packages under.
func goGitNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.HasPrefix(p, goGit) {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if p == goGit+"v5" {
			name = "git"
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	return names
}

// exportedUses lists the exported functions, methods of exported types,
// types (with their exported fields) and values of f whose declared types
// mention a go-git package.
func exportedUses(f *ast.File, goGit map[string]bool) []string {
	mentions := func(n ast.Node) bool {
		found := false
		if n == nil {
			return false
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && goGit[id.Name] {
					found = true
				}
			}
			return !found
		})
		return found
	}
	var out []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedReceiver(d.Recv)) {
				continue
			}
			if mentions(d.Type) {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && exportedPartMentions(s.Type, mentions) {
						out = append(out, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && mentions(s.Type) {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// exportedPartMentions checks a type's exported fields (a struct's
// unexported fields are its own business) or the whole type otherwise.
func exportedPartMentions(typ ast.Expr, mentions func(ast.Node) bool) bool {
	st, ok := typ.(*ast.StructType)
	if !ok {
		return mentions(typ)
	}
	for _, field := range st.Fields.List {
		exported := len(field.Names) == 0 // embedded: promoted methods are exported
		for _, n := range field.Names {
			exported = exported || n.IsExported()
		}
		if exported && mentions(field.Type) {
			return true
		}
	}
	return false
}

func exportedReceiver(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

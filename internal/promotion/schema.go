package promotion

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// ConfigSchema is implemented by steps whose configuration decodes into a Go
// struct (see DecodeConfig). Check uses it when a Promotion is snapshotted to
// refuse a misspelt or unknown field before any step runs, instead of when
// the engine reaches the step, perhaps after a push. Values are not checked
// then: they may hold expressions evaluated only when the step runs.
type ConfigSchema interface {
	// ConfigType returns a zero value of the step's configuration type.
	ConfigType() any
}

// ConfigValidator is implemented by steps that can check a configuration
// without running: required fields, types and values. Check calls it when a
// step's configuration holds no expression, so what it checks is exactly
// what the step will get.
type ConfigValidator interface {
	ValidateConfig(config map[string]any) error
}

// checkFields reports the first key of v, recursively, that t has no field
// for. Keys match json tags without regard to case, as DecodeConfig does.
func checkFields(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // an expression, or a type error DecodeConfig will name
		}
		for _, key := range sortedKeys(m) {
			val := m[key]
			ft, found := ConfigFieldType(t, key)
			if !found {
				return fmt.Errorf("unknown field %q", joinField(path, key))
			}
			if err := checkFields(val, ft, joinField(path, key)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range list {
			if err := checkFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for key, val := range m {
			if err := checkFields(val, t.Elem(), joinField(path, key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ConfigFieldType finds the field of struct type t that encoding/json (and
// so DecodeConfig) would decode key into: json names matched without regard
// to case, through embedded structs.
func ConfigFieldType(t reflect.Type, key string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ft, ok := ConfigFieldType(et, key); ok {
					return ft, true
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f.Type, true
		}
	}
	return nil, false
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// HasConfigField reports whether the step's configuration type has the
// field at path, written as Kargo's documentation writes it:
// "checkout[].path", "author.signingKey".
func HasConfigField(schema ConfigSchema, path string) bool {
	t := reflect.TypeOf(schema.ConfigType())
	for _, part := range strings.Split(path, ".") {
		name, list := strings.CutSuffix(part, "[]")
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Map {
			t = t.Elem() // free-form keys
			continue
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		ft, ok := ConfigFieldType(t, name)
		if !ok {
			return false
		}
		t = ft
		if list {
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return false
			}
			t = t.Elem()
		}
	}
	return true
}

package bus

import "reflect"

// derefValue turns the *T a Kind's New returned into the T the publisher sent, unless T is itself a
// pointer type (then New returns **T and one level goes).
func derefValue(p any) any {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return p
	}
	return v.Elem().Interface()
}

package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"
)

// fill sets every field of v, recursively, to a value that is not zero,
// derived from seed; slices get two elements and maps two keys. A field
// added to a type is filled too, so the comparisons below catch an encoder
// that forgot it.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d <&> \"q\"\\ é\u2028\x01", seed))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed*7 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed*5 + 3))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed)*1.25 + 0.1)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), seed+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), seed+i+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, seed+10+i)
			val := reflect.New(v.Type().Elem()).Elem()
			fill(val, seed+i)
			m.SetMapIndex(k, val)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 20, 12, 0, seed%60, seed*1000+7, time.UTC)))
			return
		}
		for i := range v.NumField() {
			// Fields JSON skips (json:"-") are not written by anyone.
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i), seed+i)
			}
		}
	case reflect.Interface:
		// OutboxEntry and the like are not encoded here.
	}
}

func filled[T any](seed int) T {
	var v T
	fill(reflect.ValueOf(&v).Elem(), seed)
	return v
}

func sameAsEncodingJSON(t *testing.T, name string, v any, got []byte, err error) {
	t.Helper()
	want, werr := json.Marshal(v)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, encoding/json says %v", name, err, werr)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Errorf("%s: the hand-written encoder differs from encoding/json (a field added to the type needs its line in jsonenc.go):\n got %s\nwant %s", name, got, want)
	}
}

func TestHandWrittenEncodersWriteWhatEncodingJSONWrites(t *testing.T) {
	for seed := range 3 {
		req := filled[Request](seed)
		res := filled[Result](seed)
		subs := filled[[]Subscription](seed)
		u := filled[User](seed)
		var e encoder
		e.request(&req)
		sameAsEncodingJSON(t, "Request", &req, e.b, e.err)
		e = encoder{}
		e.result(&res)
		sameAsEncodingJSON(t, "Result", &res, e.b, e.err)
		b, err := encodeSubs(subs)
		sameAsEncodingJSON(t, "[]Subscription", subs, b, err)
		b, err = encodeUser(&u)
		sameAsEncodingJSON(t, "User", &u, b, err)
	}
	t.Run("zero values, nil and empty lists", func(t *testing.T) {
		var e encoder
		req := Request{}
		e.request(&req)
		sameAsEncodingJSON(t, "Request{}", &req, e.b, e.err)
		e = encoder{}
		res := Result{Ops: []OpResult{{}}, Errors: []Error{}}
		e.result(&res)
		sameAsEncodingJSON(t, "Result{}", &res, e.b, e.err)
		for _, subs := range [][]Subscription{nil, {}, {{Seats: []SeatBatch{}}}, {{}}} {
			b, err := encodeSubs(subs)
			sameAsEncodingJSON(t, "subs", subs, b, err)
		}
		b, err := encodeUser(&User{Licenses: []string{}, Removed: map[string]time.Time{}})
		sameAsEncodingJSON(t, "User{}", &User{Licenses: []string{}, Removed: map[string]time.Time{}}, b, err)
	})
	t.Run("strings that need escaping", func(t *testing.T) {
		for _, s := range []string{"", "plain", "a\"b\\c", "<script>&amp;", "\u2028\u2029", "\x00\x1f\x7f", "bad \xff\xfe utf-8", "é日本\U0001F600", "tab\tnl\nret\r\b\f"} {
			var e encoder
			e.str(s)
			sameAsEncodingJSON(t, fmt.Sprintf("%q", s), s, e.b, e.err)
		}
	})
	t.Run("numbers and times", func(t *testing.T) {
		for _, f := range []float64{0, math.Copysign(0, -1), 1, 12.34, 1e-7, 123456789e15, 1e21, -2.5e-9, 0.1 + 0.2, math.MaxFloat64, math.SmallestNonzeroFloat64} {
			e := encoder{}
			e.float(f)
			sameAsEncodingJSON(t, fmt.Sprint(f), f, e.b, e.err)
		}
		for _, f := range []float64{math.NaN(), math.Inf(1)} {
			e := encoder{}
			e.float(f)
			if e.err == nil {
				t.Errorf("%v encoded without an error", f)
			}
		}
		for _, tm := range []time.Time{{}, time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
			e := encoder{}
			e.time(tm)
			sameAsEncodingJSON(t, tm.String(), tm, e.b, e.err)
		}
	})
}

func TestJSONSignaturesAreCurrent(t *testing.T) {
	for _, c := range []struct {
		name, want string
		typ        reflect.Type
	}{
		{"sigRequest", sigRequest, reflect.TypeFor[Request]()},
		{"sigResult", sigResult, reflect.TypeFor[Result]()},
		{"sigSubs", sigSubs, reflect.TypeFor[[]Subscription]()},
		{"sigUser", sigUser, reflect.TypeFor[User]()},
	} {
		if got := jsonSignature(c.typ); got != c.want {
			t.Errorf("the fields of %s changed: it is encoded by encoding/json (slow) until jsonenc.go writes the new fields and %s = %q", c.typ, c.name, got)
		}
	}
}

func BenchmarkEncodeResult(b *testing.B) {
	res := filled[Result](1)
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		e := encoder{b: make([]byte, 0, 4096)}
		for b.Loop() {
			e.b = e.b[:0]
			e.result(&res)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&res)
		}
	})
}

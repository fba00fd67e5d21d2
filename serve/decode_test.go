package serve

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeValues(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []float32
	}{
		{`{"instances":[[0,-0,1,-1]]}`, []float32{0, float32(math.Copysign(0, -1)), 1, -1}},
		{`{"instances":[[9999999,10000001,-16777217,0.1]]}`, []float32{9999999, 10000001, -16777216, 0.1}},
		{`{"instances":[[1.5e2,2E-1,3e+0,-4.25]]}`, []float32{150, 0.2, 3, -4.25}},
		{`{"instances":[[1e-50,-1e-46,1.4e-45,3.4028235e38]]}`, []float32{0, float32(math.Copysign(0, -1)), 1.4e-45, math.MaxFloat32}},
		{"\t{\r\n\"signature_name\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"instances\":[ [ 1 , 2 , 3 , 4 ] ] }\n", []float32{1, 2, 3, 4}},
		{`{"instances":[[1,2,3,4],[5,6,7,8]],"signature_name":""}`, []float32{1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			x, rows, err := decodeRequest([]byte(tc.body), 4)
			require.NoError(t, err)
			assert.Equal(t, len(tc.want)/4, rows)
			require.Len(t, x, len(tc.want))
			for i := range x {
				assert.Equal(t, math.Float32bits(tc.want[i]), math.Float32bits(x[i]), "value %d: %v", i, x[i])
			}
		})
	}
}

func TestDecodeSyntax(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"instances":[[01,2,3,4]]}`, "instances[0]: not valid JSON at byte 16: unexpected '1'"},
		{`{"instances":[[1.,2,3,4]]}`, "instances[0][0]: not valid JSON at byte 17: unexpected ','"},
		{`{"instances":[[.5,2,3,4]]}`, "instances[0][0]: not valid JSON"},
		{`{"instances":[[+1,2,3,4]]}`, "instances[0][0]: not valid JSON at byte 15: unexpected '+'"},
		{`{"instances":[[1e,2,3,4]]}`, "instances[0][0]: not valid JSON"},
		{`{"instances":[[0x10,2,3,4]]}`, "instances[0]: not valid JSON"},
		{`{"instances":[[1,2,3,4],]}`, "instances[1]: not valid JSON at byte 24: unexpected ']'"},
		{`{"instances":[[1,2,3,4,]]}`, "instances[0][4]: not valid JSON"},
		{`{"instances":[[1 2,3,4]]}`, "instances[0]: not valid JSON"},
		{`{"instances":[[1,2,3,4]],}`, "request object: not valid JSON"},
		{`{"instances":[[1,2,3,4]] "x":1}`, "request object: not valid JSON"},
		{`{"instances" [[1,2,3,4]]}`, "request object: not valid JSON at byte 13: unexpected '['"},
		{`{instances:[[1,2,3,4]]}`, "request object: not valid JSON at byte 1: unexpected 'i'"},
		{`{"instances":[[1,2,3,4]]`, "request object: unexpected end of the request body"},
		{`{"instances":[[1,2,3,4]`, `"instances": unexpected end of the request body`},
		{`{"instances":[[1,2,3,4]]}]`, "trailing data after the JSON object at byte 25"},
		{"{\"instances\":[[1,2,3,4]]}\x00", "trailing data after the JSON object at byte 25"},
		{`{"signature_name":"a` + "\n" + `","instances":[[1,2,3,4]]}`, `"signature_name": not valid JSON at byte 20: unexpected byte 0x0a`},
		{`{"signature_name":"\x","instances":[[1,2,3,4]]}`, `"signature_name": not valid JSON at byte 20: unexpected 'x'`},
		{`{"signature_name":"\u12G4","instances":[[1,2,3,4]]}`, `"signature_name": not valid JSON at byte 23: unexpected 'G'`},
		{`{"signature_name":"abc`, `"signature_name": unexpected end of the request body`},
		{`{"instances":[[1,2,3,4]],"signature_name":nul}`, `"signature_name": not valid JSON`},
		{`{"instances":[[1,Nan,3,4]]}`, "instances[0][1]: not valid JSON at byte 17: unexpected 'N' (NaN and Infinity are not JSON numbers)"},
		{`{"instances":[[1,-Infinity,3,4]]}`, "instances[0][1]: not valid JSON at byte 18: unexpected 'I' (NaN and Infinity are not JSON numbers)"},
		{`{"instances":[[1,2,3,"` + strings.Repeat("x", 100) + `"]]}`, `instances[0][3]: want a number, got "` + strings.Repeat("x", 40) + `…" (a string)`},
		{`{"instances":[[1,2,3,4]]} {`, "trailing data after the JSON object at byte 26: an object"},
		{`{"instances":[[1,2,3,4]]} 5`, "trailing data after the JSON object at byte 26: a number (5)"},
		{``, "request body: unexpected end of the request body"},
		{`   `, "request body: unexpected end of the request body"},
		{`"instances"`, `request body: want a JSON object {"instances": [...]}, got "instances" (a string)`},
		{`{"Instances":[[1,2,3,4]]}`, `unknown field "Instances"`},
	} {
		t.Run(tc.body, func(t *testing.T) {
			_, _, err := decodeRequest([]byte(tc.body), 4)
			require.Error(t, err)
			var ie *inputError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// FuzzDecode: the decoder never panics, and whatever it accepts,
// encoding/json reads as the same instances.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"instances":[[1,2]]}`,
		`{"instances":[[1.5e3,-2],[0,1e-7]],"signature_name":"x\u00e9"}`,
		`{"instances":[[1,2],[3]]}`,
		`{"instances":[[1,NaN]]}`,
		`{"instances":[[1e39,2]]}`,
		`{"instances":[]}`,
		`{"signature_name":"\"","instances":[[1,2]]} `,
		`[1,2]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		x, rows, err := decodeRequest(body, 2)
		if err != nil {
			var ie *inputError
			require.ErrorAs(t, err, &ie)
			return
		}
		var doc struct {
			Instances [][]float64 `json:"instances"`
		}
		require.NoError(t, json.Unmarshal(body, &doc), "accepted %q", body)
		require.Len(t, doc.Instances, rows)
		require.Len(t, x, 2*rows)
		for i, inst := range doc.Instances {
			require.Len(t, inst, 2)
			for j, v := range inst {
				w := float32(v)
				require.False(t, math.IsInf(float64(w), 0))
				// float64 then float32 may round twice; allow one float32 ulp.
				got := x[2*i+j]
				if got != w {
					require.InDelta(t, float64(w), float64(got), math.Abs(float64(w))*1e-7+1e-45, "instances[%d][%d]", i, j)
				}
			}
		}
	})
}

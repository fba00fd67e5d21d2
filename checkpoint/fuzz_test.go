package checkpoint_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"
)

// FuzzDecodeSafetensors: any input is decoded or refused without a panic
// and without allocating beyond a small multiple of its length; what
// decodes re-encodes to a file that decodes to the same tensors and
// metadata, and encoding that is stable (decode∘encode is the identity).
func FuzzDecodeSafetensors(f *testing.F) {
	good, _ := checkpoint.EncodeSafetensors([]checkpoint.Tensor{
		{Name: "layers.0.kernel", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "layers.0.bias", Shape: []int{3}, Data: []float32{0, -1, 0.5}}}, map[string]string{"k": "v"})
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := checkpoint.DecodeSafetensors(b)
		if err != nil {
			return
		}
		total := 0
		for _, x := range ts {
			total += 4 * len(x.Data)
		}
		require.LessOrEqual(t, total, len(b), "decoded more tensor bytes than the file holds")
		enc, err := checkpoint.EncodeSafetensors(ts, meta)
		require.NoError(t, err)
		ts2, meta2, err := checkpoint.DecodeSafetensors(enc)
		require.NoError(t, err)
		require.Equal(t, len(ts), len(ts2))
		for i := range ts {
			require.Equal(t, ts[i].Name, ts2[i].Name)
			require.Equal(t, ts[i].Shape, ts2[i].Shape)
			require.Equal(t, len(ts[i].Data), len(ts2[i].Data))
			for j := range ts[i].Data { // bitwise: NaNs included
				require.Equal(t, math.Float32bits(ts[i].Data[j]), math.Float32bits(ts2[i].Data[j]))
			}
		}
		if len(meta) > 0 {
			require.Equal(t, meta, meta2)
		}
		enc2, err := checkpoint.EncodeSafetensors(ts2, meta2)
		require.NoError(t, err)
		require.Equal(t, enc, enc2, "encode∘decode∘encode = encode")
	})
}

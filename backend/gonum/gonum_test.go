package gonum_test

import (
	"testing"

	"github.com/descent-ml/descent/backend/backendtest"
	"github.com/descent-ml/descent/backend/gonum"
)

func TestConformance(t *testing.T) { backendtest.Run(t, gonum.New()) }

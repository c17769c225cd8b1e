// Command dwarflayout prints, from a Go binary's DWARF as Go's own debug/dwarf reads it, the
// layout of the named structs and the location of the named variables. It is the oracle the
// Java DWARF reader is tested against.
//
//	dwarflayout BINARY runtime.g runtime.m ... [var:runtime.allgs ...]
//
// Output, one fact a line:
//
//	producer <DW_AT_producer of the runtime unit>
//	struct <name> <byte size>
//	field <struct> <field> <offset> <byte size> <type name>
//	var <name> <address>
//	const <name> <value>          (for const:<prefix> arguments, every constant with that prefix)
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dwarflayout BINARY NAME...")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	check(err)
	d, err := f.DWARF()
	check(err)
	structs := map[string]bool{}
	vars := map[string]bool{}
	var constPrefixes []string
	for _, a := range os.Args[2:] {
		switch {
		case strings.HasPrefix(a, "var:"):
			vars[a[4:]] = true
		case strings.HasPrefix(a, "const:"):
			constPrefixes = append(constPrefixes, a[6:])
		default:
			structs[a] = true
		}
	}
	var out []string
	r := d.Reader()
	for {
		e, err := r.Next()
		check(err)
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagCompileUnit:
			if name == "runtime" {
				p, _ := e.Val(dwarf.AttrProducer).(string)
				fmt.Println("producer", p)
			}
		case dwarf.TagStructType:
			if structs[name] {
				t, err := d.Type(e.Offset)
				check(err)
				st := t.(*dwarf.StructType)
				out = append(out, fmt.Sprintf("struct %s %d", name, st.ByteSize))
				for _, fl := range st.Field {
					out = append(out, fmt.Sprintf("field %s %s %d %d %s", name, fl.Name, fl.ByteOffset, fl.Type.Size(), fl.Type.String()))
				}
				delete(structs, name)
			}
		case dwarf.TagVariable:
			if vars[name] {
				loc, _ := e.Val(dwarf.AttrLocation).([]byte)
				if len(loc) == 9 && loc[0] == 0x03 { // DW_OP_addr
					var a uint64
					for i := 8; i >= 1; i-- {
						a = a<<8 | uint64(loc[i])
					}
					out = append(out, fmt.Sprintf("var %s 0x%x", name, a))
				}
				delete(vars, name)
			}
		case dwarf.TagConstant:
			for _, p := range constPrefixes {
				if strings.HasPrefix(name, p) {
					out = append(out, fmt.Sprintf("const %s %v", name, e.Val(dwarf.AttrConstValue)))
				}
			}
		}
	}
	for _, l := range out {
		fmt.Println(l)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "dwarflayout:", err)
		os.Exit(2)
	}
}

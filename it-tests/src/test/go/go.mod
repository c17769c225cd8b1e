module attachproof.dev/ittests

go 1.21

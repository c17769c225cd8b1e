module attachproof.dev/fixtures

go 1.19

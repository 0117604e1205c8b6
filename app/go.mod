module example.com/fargate-sample

go 1.26

FROM public.ecr.aws/docker/library/golang:1.26 AS build
FROM docker.io/library/alpine:3

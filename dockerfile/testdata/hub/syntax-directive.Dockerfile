# syntax=docker/dockerfile:1
FROM public.ecr.aws/docker/library/golang:1.26-alpine AS build
FROM scratch
COPY --from=build /out /out

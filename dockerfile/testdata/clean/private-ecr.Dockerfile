# a comment first: no directive below
# syntax=docker/dockerfile:1
FROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/web:1 AS base
RUN --mount=type=bind,from=base,source=/x,target=/x true
FROM scratch

# syntax=ghcr.io/example/frontend:1
FROM ghcr.io/example/base:1
FROM localhost:5000/tools AS tools
FROM quay.io/org/app:2
COPY --from=tools /t /t

set -euo pipefail
image="$(jq -er --arg name "$CONTAINER_NAME" '.[] | select(.name == $name) | .imageUri' imagedefinitions.json)" || { echo "imagedefinitions.json names no image for container $CONTAINER_NAME" >&2; exit 1; }
current="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].taskDefinition' --output text)"
aws ecs describe-task-definition --task-definition "$current" --include TAGS --output json > current.json
jq --arg name "$CONTAINER_NAME" --arg image "$image" '.tags as $tags | .taskDefinition
  | .containerDefinitions |= map(if .name == $name then .image = $image else . end)
  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)
  | if ($tags | length) > 0 then .tags = $tags else . end' current.json > next.json
next="$(aws ecs register-task-definition --cli-input-json file://next.json --query taskDefinition.taskDefinitionArn --output text)"
echo "registered $next with $image (was $current)"
# The revision this deploy replaces, for the smoke test to go back to.
export PREVIOUS_TASK_DEFINITION="$current"
since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$next" --query service.serviceArn --output text
deadline=$(( $(date +%s) + WAIT_SECONDS ))
deployment=""
while :; do
  if [ -z "$deployment" ]; then
    deployment="$(aws ecs list-service-deployments --cluster "$CLUSTER" --service "$SERVICE" --created-at "after=$since" --query 'sort_by(serviceDeployments, &createdAt)[-1].serviceDeploymentArn' --output text || true)"
    [ "$deployment" = None ] && deployment=""
  fi
  if [ -n "$deployment" ] && state="$(aws ecs describe-service-deployments --service-deployment-arns "$deployment" --query 'serviceDeployments[0].[status, lifecycleStage, statusReason]' --output text)"; then
    status="${state%%$'\t'*}"
    echo "$(date -u +%H:%M:%S) $deployment: $state"
    case "$status" in
      SUCCESSFUL) echo "released to ECS: $image"; break ;;
      ROLLBACK_*|STOPPED|STOP_REQUESTED) echo "the deployment of $image did not succeed: $state" >&2; exit 1 ;;
    esac
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "the deployment of $image did not finish in $WAIT_SECONDS s (deployTimeoutMinutes); asking ECS to roll it back" >&2
    [ -z "$deployment" ] || aws ecs stop-service-deployment --service-deployment-arn "$deployment" --stop-type ROLLBACK || true
    exit 1
  fi
  sleep 15
done

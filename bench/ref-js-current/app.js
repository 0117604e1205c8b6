// Reference for performance: the Go app's dev environment, written directly in
// JavaScript against aws-cdk-lib (no jsii bridge). Synth time of this app is the
// floor a Go/jsii app with the same constructs can approach.
//
// It mirrors the Go app (stacks/*.go, constructs/*.go) construct for construct:
// the same L2 constructs, props, construct IDs, creation order and stack names, so
// each template is the Go app's dev template (compare.sh checks it). Left out on
// purpose: cdk-nag and its suppressions, the config loader and its validation, and
// the network's egress guard (the Go app's own checks, part of what the comparison
// measures). Only the dev environment of cdk.json is mirrored.
//
// Props are written with their keys in alphabetical order: jsii hands the CDK a Go
// struct or map with sorted keys, and the CDK keeps the order it is given in what it
// renders from user maps (buildspecs, environment variables, custom resource calls)
// and in the CDK::Metadata analytics.
const fs = require('fs');
const path = require('path');
const cdk = require('aws-cdk-lib');
const { Construct } = require('constructs');
const appscaling = require('aws-cdk-lib/aws-applicationautoscaling');
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecr = require('aws-cdk-lib/aws-ecr');
const ecs = require('aws-cdk-lib/aws-ecs');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const iam = require('aws-cdk-lib/aws-iam');
const kms = require('aws-cdk-lib/aws-kms');
const s3 = require('aws-cdk-lib/aws-s3');
const sns = require('aws-cdk-lib/aws-sns');
const cw = require('aws-cdk-lib/aws-cloudwatch');
const cwa = require('aws-cdk-lib/aws-cloudwatch-actions');
const ssm = require('aws-cdk-lib/aws-ssm');
const cb = require('aws-cdk-lib/aws-codebuild');
const cp = require('aws-cdk-lib/aws-codepipeline');
const cpa = require('aws-cdk-lib/aws-codepipeline-actions');
const connections = require('aws-cdk-lib/aws-codestarconnections');
const events = require('aws-cdk-lib/aws-events');
const logs = require('aws-cdk-lib/aws-logs');
const cr = require('aws-cdk-lib/custom-resources');
const { FactName, RegionInfo } = require('aws-cdk-lib/region-info');

// -c builtinValidation=false: like-for-like with the Go app, which turns the CDK's wasm cfn-lint off.
const app = new cdk.App({ builtinCloudFormationValidation: process.env.REF_BUILTIN_VALIDATION !== 'false' });
const env = app.node.tryGetContext('env') || 'dev';
if (env !== 'dev') throw new Error(`env ${JSON.stringify(env)}: this twin mirrors the Go app's dev environment only`);

// The Go app's dev configuration: config/defaults.go with cdk.json's environments.dev
// (egress nat-instance, capacity spot, the working-hours schedule, smokeTestPaths).
const appName = 'demo';
const name = `${appName}-${env}`;
const stackName = (part) => `${name}-${part}`;
const sourceRepository = 'example-org/fargate-demo';
const imageParameterName = `/${appName}/${env}/image-uri`;
const noRelease = 'no-release-yet';
const releasedTagPrefix = 'released-';
const placeholderImage = 'public.ecr.aws/nginx/nginx:stable-alpine';
const retentionDays = 30; // logs, flow logs, access logs
const logRetention = logs.RetentionDays.ONE_MONTH;
const keepImages = 30;
const containerName = 'app';
const port = 80;
const writablePaths = ['/tmp', '/var/cache/nginx', '/var/run'];
const vpcCidr = '10.0.0.0/16';
const publicCidrs = ['10.0.1.0/24', '10.0.2.0/24'];
const privateCidrs = ['10.0.3.0/24', '10.0.4.0/24'];
const natInstanceType = 't4g.nano';
const schedule = { days: 'MON-FRI', end: [20, 0], start: [8, 0], timeZone: 'UTC' };
const minCount = 2, maxCount = 4;
const rollout = { errorRatePercent: 5, latencyP95Ms: 1000, minRequests: 20, periodSeconds: 60, periods: 3, datapoints: 2 };
const deployTimeoutMinutes = 20, deployOverheadSeconds = 180;
const smokeTestPaths = ['/', '/smoke']; // the health-check path, then smokeTestPaths
const buildKitImage = 'public.ecr.aws/vend/moby/buildkit:buildx-stable-1';
const cacheTag = 'buildcache';

const days = (n) => cdk.Duration.days(n);
const minutes = (n) => cdk.Duration.minutes(n);
const seconds = (n) => cdk.Duration.seconds(n);
const publicSubnets = { subnetGroupName: 'Public' };
const privateSubnets = { subnetGroupName: 'Private' };
// Shell scripts and the awk program the Go app embeds (constructs/dockerhub.awk and the
// deployScript and smokeScript constants), copied byte for byte.
const readText = (file) => fs.readFileSync(path.join(__dirname, file), 'utf8');
const dockerHubCheck = readText('dockerhub.awk').trim();
const deployScript = readText('ecs-deploy.sh').replace(/\n$/, '');
const smokeScript = readText('smoke-test.sh').replace(/\n$/, '');

const stackProps = (part, description) => ({
  description, stackName: stackName(part), tags: { app: appName, environment: env },
});

// ---- shared constructs (constructs/*.go) ----

// A log group with the environment's retention, under the environment key (constructs/network.go).
const logGroup = (scope, id, encryptionKey) =>
  new logs.LogGroup(scope, id, { encryptionKey, removalPolicy: cdk.RemovalPolicy.DESTROY, retention: logRetention });

// Every bucket: encrypted, SSL only, public access blocked, owner-enforced, versioned, expiring (constructs/buckets.go).
function privateBucket(scope, id, { key, expireAfterDays, retain, serverAccessLogs, logPrefix }) {
  const props = {
    autoDeleteObjects: !retain, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true,
    lifecycleRules: [{ abortIncompleteMultipartUploadAfter: days(1), expiration: days(expireAfterDays), id: 'Expire', noncurrentVersionExpiration: days(7) }],
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, removalPolicy: retain ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY, versioned: true,
  };
  if (key) Object.assign(props, { bucketKeyEnabled: true, encryption: s3.BucketEncryption.KMS, encryptionKey: key });
  if (serverAccessLogs) Object.assign(props, { serverAccessLogsBucket: serverAccessLogs, serverAccessLogsPrefix: logPrefix });
  return new s3.Bucket(scope, id, sortKeys(props));
}

// Object.assign appends keys; the Go struct reaches the CDK with sorted keys.
function sortKeys(o) { return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))); }

// The environment's one KMS key (constructs/key.go).
function environmentKey(scope, id, { retain, alarmTopicStack }) {
  const key = new kms.Key(scope, id, {
    description: "Encrypts the environment's CloudWatch Logs groups, alarm topic and pipeline artifacts", enableKeyRotation: true,
    pendingWindow: days(7), removalPolicy: retain ? cdk.RemovalPolicy.RETAIN : cdk.RemovalPolicy.DESTROY,
  });
  const stack = cdk.Stack.of(scope);
  const arn = (service, resource) => `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`;
  key.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': arn('logs', 'log-group:*') } },
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)], resources: ['*'], sid: 'AllowCloudWatchLogs',
  }));
  const topic = { 'kms:EncryptionContext:aws:sns:topicArn': arn('sns', `${alarmTopicStack}-*`) };
  key.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    conditions: { ArnLike: { 'aws:SourceArn': arn('cloudwatch', 'alarm:*') }, StringEquals: { 'aws:SourceAccount': stack.account }, StringLike: topic },
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')], resources: ['*'], sid: 'AllowCloudWatchAlarms',
  }));
  key.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], conditions: { StringLike: topic },
    principals: [new iam.ServicePrincipal('events.amazonaws.com')], resources: ['*'], sid: 'AllowEventBridgeRules',
  }));
  return key;
}

// An SSM String parameter that CloudFormation creates once and never writes again
// (constructs/createonlyparameter.go).
function createOnlyParameter(scope, id, { name: parameterName, initial, description, logKey }) {
  const c = new Construct(scope, id);
  const parameter = ssm.StringParameter.fromStringParameterName(c, 'Parameter', parameterName);
  new cr.AwsCustomResource(c, 'Resource', {
    installLatestAwsSdk: false,
    logGroup: logGroup(c, 'Logs', logKey),
    onCreate: {
      action: 'PutParameter', ignoreErrorCodesMatching: '^ParameterAlreadyExists$',
      parameters: { Description: description, Name: parameterName, Overwrite: false, Type: 'String', Value: initial },
      physicalResourceId: cr.PhysicalResourceId.of(parameterName), service: 'SSM',
    },
    onDelete: { action: 'DeleteParameter', ignoreErrorCodesMatching: '^ParameterNotFound$', parameters: { Name: parameterName }, service: 'SSM' },
    policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
      actions: ['ssm:PutParameter', 'ssm:DeleteParameter'], resources: [parameter.parameterArn],
    })]),
    resourceType: 'Custom::CreateOnlyParameter',
    timeout: minutes(2),
  });
  return parameter;
}

// The configured subnet CIDRs instead of CDK's packing (stacks/network.go subnetLayout).
class SubnetLayout {
  constructor(cidr, cidrs) { this.cidr = cidr; this.cidrs = cidrs; }
  allocateVpcCidr() { return { cidrBlock: this.cidr }; }
  allocateSubnetsCidr(req) {
    const next = {};
    const allocatedSubnets = req.requestedSubnets.map((r) => {
      const group = r.configuration.name;
      const i = next[group] = (next[group] ?? -1) + 1;
      return { cidr: this.cidrs[group][i] };
    });
    return { allocatedSubnets };
  }
}

// The NAT instance's user data: NAT as AWS's guide configures it, and a signal to
// CloudFormation with the script's exit status (constructs/natinstance.go).
const natUserData = (stack, logicalId, region) => [
  'set -uo pipefail',
  `signal() { /opt/aws/bin/cfn-signal -e "$1" --stack ${stack} --resource ${logicalId} --region ${region} || echo "cfn-signal failed"; }`,
  "trap 'signal $?' EXIT",
  'set -e',
  '# dnf may collide with the image\'s own first-boot package jobs (aws/aws-cdk#36717): retry for 5 minutes.',
  'for i in $(seq 60); do dnf install -y iptables-services aws-cfn-bootstrap && break; [ "$i" -lt 60 ] || exit 1; sleep 5; done',
  'systemctl enable --now iptables',
  "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf",
  'sysctl -p /etc/sysctl.d/90-nat.conf',
  "iface=$(ip route show default | awk '{print $5; exit}')",
  'iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE',
  'iptables -F FORWARD',
  'iptables-save > /etc/sysconfig/iptables',
];

// The step projects' build host (constructs/pipelinestep.go).
const stepEnvironment = () => ({ buildImage: cb.LinuxBuildImage.STANDARD_8_0, computeType: cb.ComputeType.SMALL });
const passTaskRoles = (taskDef) => ({
  actions: ['iam:PassRole'], conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  resources: [taskDef.taskRole.roleArn, taskDef.executionRole.roleArn], sid: 'PassTaskRoles',
});
const codeBuildLogging = (scope, key) => ({ cloudWatch: { logGroup: logGroup(scope, 'Logs', key) } });
const grantUseConnection = (grantable, connectionArn) => grantable.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
  actions: ['codestar-connections:UseConnection', 'codeconnections:UseConnection'], resources: [connectionArn], sid: 'UseSourceConnection',
}));
const shell = (commands, extra = {}) => ({ env: { ...extra, shell: 'bash' }, phases: { build: { commands, 'on-failure': 'ABORT' } }, version: '0.2' });
const camel = (s) => s.split('-').filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('');

// ---- Registry (stacks/registry.go) ----
const reg = new cdk.Stack(app, 'Registry', stackProps('registry', `ECR repository and released image of ${name}; kept by make destroy`));
const repo = new ecr.Repository(reg, 'Repository', {
  emptyOnDelete: false, imageScanOnPush: true, imageTagMutability: ecr.TagMutability.IMMUTABLE,
  lifecycleRules: [
    { description: 'Expire untagged images after a day', maxImageAge: days(1), rulePriority: 1, tagStatus: ecr.TagStatus.UNTAGGED },
    { description: `Keep the last ${keepImages} released images`, maxImageCount: keepImages, rulePriority: 2, tagPrefixList: [releasedTagPrefix], tagStatus: ecr.TagStatus.TAGGED },
    { description: `Keep the last ${keepImages} other tagged images`, maxImageCount: keepImages, rulePriority: 3, tagPatternList: ['*'], tagStatus: ecr.TagStatus.TAGGED },
  ],
  removalPolicy: cdk.RemovalPolicy.RETAIN, repositoryName: name,
});
const buildCache = new ecr.Repository(reg, 'BuildCache', {
  emptyOnDelete: true, imageScanOnPush: true, imageTagMutability: ecr.TagMutability.MUTABLE,
  lifecycleRules: [{ description: 'Expire replaced caches (untagged) after a day', maxImageAge: days(1), rulePriority: 1, tagStatus: ecr.TagStatus.UNTAGGED }],
  removalPolicy: cdk.RemovalPolicy.DESTROY, repositoryName: `${name}-build-cache`,
});
new cdk.CfnOutput(reg, 'RepositoryUri', { description: 'ECR repository the pipeline pushes to', value: repo.repositoryUri });
const envKey = environmentKey(reg, 'Key', { alarmTopicStack: stackName('service'), retain: false });
const imageParam = createOnlyParameter(reg, 'ImageUri', {
  name: imageParameterName, initial: noRelease, logKey: envKey,
  description: `Image the service runs: written by the pipeline's Release stage after a successful ECS deploy, read by the ServiceStack at every deploy; ${noRelease} until the first release.`,
});

// ---- Network (stacks/network.go, constructs/natinstance.go, constructs/network.go) ----
const net = new cdk.Stack(app, 'Network', stackProps('network', `VPC, subnets and egress of ${name}`));
const natData = ec2.UserData.forLinux();
const nat = ec2.NatProvider.instanceV2({
  associatePublicIpAddress: true, creditSpecification: ec2.CpuCredits.STANDARD,
  defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY, instanceType: new ec2.InstanceType(natInstanceType), userData: natData,
});
const vpc = new ec2.Vpc(net, 'Vpc', {
  enableDnsHostnames: true, enableDnsSupport: true,
  ipAddresses: new SubnetLayout(vpcCidr, { Public: publicCidrs, Private: privateCidrs }),
  maxAzs: 2, natGatewayProvider: nat, natGatewaySubnets: publicSubnets, natGateways: 1, restrictDefaultSecurityGroup: true,
  subnetConfiguration: [
    { cidrMask: 24, mapPublicIpOnLaunch: false, name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
    { cidrMask: 24, name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  ],
});
{
  // Finish the NAT instance: ingress from the private subnets only, IMDSv2, an
  // encrypted root volume, and a creation policy its user data signals.
  for (const cidr of privateCidrs) {
    for (const [p, proto] of [[ec2.Port.allTcp(), 'TCP'], [ec2.Port.allUdp(), 'UDP'], [ec2.Port.allIcmp(), 'ICMP']]) {
      nat.connections.allowFrom(ec2.Peer.ipv4(cidr), p, `NAT of ${proto} for the private subnet ${cidr}`);
    }
  }
  for (const inst of nat.gatewayInstances) {
    const cfn = inst.node.defaultChild;
    cfn.metadataOptions = { httpEndpoint: 'enabled', httpPutResponseHopLimit: 1, httpTokens: 'required' };
    cfn.blockDeviceMappings = [{ deviceName: '/dev/xvda', ebs: { deleteOnTermination: true, encrypted: true, volumeSize: 8, volumeType: 'gp3' } }];
    cfn.cfnOptions.creationPolicy = { resourceSignal: { count: 1, timeout: 'PT15M' } };
    for (const sn of vpc.publicSubnets) {
      if (inst.node.path.startsWith(sn.node.path + '/')) inst.node.addDependency(sn.internetConnectivityEstablished);
    }
    const stack = cdk.Stack.of(inst);
    natData.addCommands(...natUserData(stack.stackName, stack.getLogicalId(cfn), stack.region));
  }
}
{
  const flowLog = new Construct(net, 'FlowLog');
  const group = logGroup(flowLog, 'LogGroup', envKey);
  new ec2.FlowLog(flowLog, 'FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(group), resourceType: ec2.FlowLogResourceType.fromVpc(vpc), trafficType: ec2.FlowLogTrafficType.ALL,
  });
  const endpoints = new Construct(net, 'Endpoints');
  new ec2.GatewayVpcEndpoint(endpoints, 'S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [privateSubnets], vpc });
}

// ---- Service (stacks/service.go) ----
const svc = new cdk.Stack(app, 'Service', stackProps('service', `Fargate service and ALB of ${name}`));
const cluster = new ecs.Cluster(svc, 'Cluster', { containerInsightsV2: ecs.ContainerInsights.ENABLED, vpc });

const taskDef = new ecs.FargateTaskDefinition(svc, 'TaskDefinition', {
  cpu: 512, family: name, memoryLimitMiB: 1024,
  runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
});
{
  const execRole = taskDef.obtainExecutionRole();
  repo.grantPull(execRole);
  // The released image, or the placeholder while the parameter says no release yet.
  const released = ssm.StringParameter.valueForStringParameter(svc, imageParameterName);
  const none = new cdk.CfnCondition(svc, 'NoReleaseYet', { expression: cdk.Fn.conditionEquals(released, noRelease) });
  const image = cdk.Fn.conditionIf(none.logicalId, placeholderImage, released).toString();
  const container = taskDef.addContainer(containerName, {
    containerName, environment: { HEALTH_CHECK_PATH: '/', PORT: String(port) }, essential: true,
    image: ecs.ContainerImage.fromRegistry(image),
    logging: ecs.LogDrivers.awsLogs({ logGroup: logGroup(svc, 'Logs', envKey), streamPrefix: containerName }),
    memoryLimitMiB: 1024,
    portMappings: [{ containerPort: port, name: 'http', protocol: ecs.Protocol.TCP }],
    readonlyRootFilesystem: true, secrets: {},
    stopTimeout: seconds(120), // Fargate Spot's two minutes' warning
    systemControls: [{ namespace: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
  });
  for (const p of writablePaths) {
    const volume = 'scratch' + p.replaceAll('/', '-');
    taskDef.addVolume({ name: volume });
    container.addMountPoints({ containerPath: p, readOnly: false, sourceVolume: volume });
  }
}

const albSg = new ec2.SecurityGroup(svc, 'AlbSecurityGroup', {
  allowAllOutbound: false, description: 'ALB: listener ports from the allowed CIDRs; egress only to the service', vpc,
});
const serviceSg = new ec2.SecurityGroup(svc, 'ServiceSecurityGroup', {
  allowAllOutbound: true, description: 'Fargate tasks: ingress only from the ALB on the container port', vpc,
});
// remoteRule is passed as undefined, as Go passes nil: Go has no optional arguments, and the CDK's
// analytics record the number of arguments of the call.
albSg.addIngressRule(ec2.Peer.ipv4('0.0.0.0/0'), ec2.Port.tcp(80), 'Listener 80 from 0.0.0.0/0', undefined);

const service = new ecs.FargateService(svc, 'Service', {
  assignPublicIp: false,
  capacityProviderStrategies: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
  circuitBreaker: { enable: true, rollback: true },
  cluster, deploymentStrategy: ecs.DeploymentStrategy.ROLLING, enableExecuteCommand: false,
  healthCheckGracePeriod: seconds(30), maxHealthyPercent: 200, minHealthyPercent: 100,
  platformVersion: ecs.FargatePlatformVersion.LATEST, propagateTags: ecs.PropagatedTagSource.SERVICE,
  securityGroups: [serviceSg], taskDefinition: taskDef, vpcSubnets: privateSubnets,
});
// The task definition references the roles, not their policies (aws/aws-cdk#18675).
for (const role of [taskDef.executionRole, taskDef.taskRole]) {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy) service.node.addDependency(policy);
}
// FARGATE and FARGATE_SPOT on the cluster before the service (constructs/capacity.go).
service.node.addDependency(new ecs.CfnClusterCapacityProviderAssociations(svc, 'FargateCapacityProviders', {
  capacityProviders: ['FARGATE', 'FARGATE_SPOT'], cluster: cluster.clusterName, defaultCapacityProviderStrategy: [],
}));

const alb = new elbv2.ApplicationLoadBalancer(svc, 'Alb', {
  deletionProtection: false, dropInvalidHeaderFields: true, internetFacing: true, securityGroup: albSg, vpc, vpcSubnets: publicSubnets,
});
{
  // ALB access logs in an SSE-S3 bucket with its own server access logs (constructs/logbucket.go).
  const accessLogs = new Construct(svc, 'AccessLogs');
  const serverLogs = privateBucket(accessLogs, 'ServerAccessLogs', { expireAfterDays: retentionDays, retain: true });
  const bucket = privateBucket(accessLogs, 'Bucket', {
    expireAfterDays: retentionDays, logPrefix: 'access-log-bucket/', retain: true, serverAccessLogs: serverLogs,
  });
  // The policy by hand: logAccessLogs needs a concrete region and the stacks are
  // environment-agnostic. Each region's ELB account behind a condition on the region.
  const prefix = 'alb';
  const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${svc.account}/*`);
  const principals = [new iam.AccountRootPrincipal()];
  const elbAccounts = Object.entries(RegionInfo.regionMap(FactName.ELBV2_ACCOUNT))
    .filter(([, account]) => account).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [region, account] of elbAccounts) {
    const inRegion = new cdk.CfnCondition(accessLogs, 'In' + camel(region), { expression: cdk.Fn.conditionEquals(cdk.Aws.REGION, region) });
    principals.push(new iam.ArnPrincipal(cdk.Fn.conditionIf(inRegion.logicalId, account, cdk.Aws.NO_VALUE).toString()));
  }
  bucket.addToResourcePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], principals, resources: [objects], sid: 'AlbLogDeliveryRegionalAccount' }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'], principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')], resources: [objects], sid: 'AlbLogDeliveryService',
  }));
  alb.setAttribute('access_logs.s3.enabled', 'true');
  alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  alb.setAttribute('access_logs.s3.prefix', prefix);
  alb.node.addDependency(bucket.policy);
}

const targetGroup = new elbv2.ApplicationTargetGroup(svc, 'TargetGroup', {
  deregistrationDelay: seconds(30),
  healthCheck: { healthyHttpCodes: '200-399', healthyThresholdCount: 2, interval: seconds(10), path: '/', timeout: seconds(5), unhealthyThresholdCount: 3 },
  port, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP, vpc,
});
// The production listener answers 404; production traffic goes through the rule (constructs/traffic.go).
const notFound = () => elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not found' });
const listener = alb.addListener('Http', { defaultAction: notFound(), open: false, port: 80, protocol: elbv2.ApplicationProtocol.HTTP });
const url = `http://${alb.loadBalancerDnsName}`;
{
  const traffic = new Construct(svc, 'Traffic');
  new elbv2.ApplicationListenerRule(traffic, 'ProductionRule', {
    action: elbv2.ListenerAction.forward([targetGroup]), conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])], listener, priority: 1000,
  });
  service.loadBalancerTarget({ containerName, containerPort: port }).attachToApplicationTargetGroup(targetGroup);
}

const scaling = service.autoScaleTaskCount({ maxCapacity: maxCount, minCapacity: minCount });
scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 1000, targetGroup });
{
  // Working hours: minCount..maxCount from the start, 0..0 from the end (constructs/capacity.go).
  const at = ([hour, minute]) => appscaling.Schedule.cron({ hour: String(hour), minute: String(minute), weekDay: schedule.days });
  const timeZone = cdk.TimeZone.of(schedule.timeZone);
  scaling.scaleOnSchedule('WorkingHoursStart', { maxCapacity: maxCount, minCapacity: minCount, schedule: at(schedule.start), timeZone });
  scaling.scaleOnSchedule('WorkingHoursEnd', { maxCapacity: 0, minCapacity: 0, schedule: at(schedule.end), timeZone });
}

// The alarm topic under the environment key, its publishers held to this account (constructs/alarms.go).
let topic;
{
  const c = new Construct(svc, 'Alarms');
  const stack = cdk.Stack.of(c);
  const arn = (service, resource) => cdk.Fn.join('', ['arn:', stack.partition, `:${service}:`, stack.region, ':', stack.account, `:${resource}`]);
  const source = (of) => ({ ArnLike: { 'aws:SourceArn': of }, StringEquals: { 'aws:SourceAccount': stack.account } });
  // By ARN: a grant on the topic would otherwise widen the key's policy.
  const key = kms.Key.fromKeyArn(c, 'Key', envKey.keyArn);
  topic = new sns.Topic(c, 'Topic', { enforceSSL: true, masterKey: key });
  topic.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['sns:Publish'], conditions: source(arn('cloudwatch', 'alarm:*')),
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')], resources: [topic.topicArn], sid: 'AllowCloudWatchAlarms',
  }));
  topic.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['sns:Publish'], conditions: source(arn('events', 'rule/*')),
    principals: [new iam.ServicePrincipal('events.amazonaws.com')], resources: [topic.topicArn], sid: 'AllowEventBridgeRules',
  }));
}
{
  const c = new Construct(svc, 'ServiceAlarms');
  const minute = minutes(1);
  const action = new cwa.SnsAction(topic);
  const GTE = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, GT = cw.ComparisonOperator.GREATER_THAN_THRESHOLD;
  const add = (id, alarmDescription, metric, threshold, comparisonOperator, periods) => {
    const alarm = new cw.Alarm(c, id, {
      alarmDescription, comparisonOperator, datapointsToAlarm: periods, evaluationPeriods: periods, metric, threshold,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  };
  const lb = alb.metrics, tg = targetGroup.metrics;
  add('Alb5xx', 'The load balancer answered 5xx (no healthy target, or the target failed) 10 or more times in 5 minutes',
    lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minutes(5), statistic: 'Sum' }), 10, GTE, 1);
  add('Target5xx', 'The tasks answered 5xx 10 or more times in 5 minutes',
    tg.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: minutes(5), statistic: 'Sum' }), 10, GTE, 1);
  add('UnhealthyHosts', 'A task has failed its ALB health checks for 3 minutes',
    tg.unhealthyHostCount({ period: minute, statistic: 'Maximum' }), 1, GTE, 3);
  add('TargetResponseTime', 'p95 response time of the tasks above 1 second for 5 minutes',
    tg.targetResponseTime({ period: minute, statistic: 'p95' }), 1, GT, 5);
  add('CpuHigh', 'Service CPU above 85% for 5 minutes: autoscaling is at its maximum or too slow',
    service.metricCpuUtilization({ period: minute }), 85, GT, 5);
  add('MemoryHigh', 'Service memory above 85% for 5 minutes: tasks risk being killed out of memory',
    service.metricMemoryUtilization({ period: minute }), 85, GT, 5);
  const dimensionsMap = { ClusterName: cluster.clusterName, ServiceName: service.serviceName };
  const insights = (metricName) => new cw.Metric({ dimensionsMap, metricName, namespace: 'ECS/ContainerInsights', period: minute, statistic: 'Average' });
  add('RunningTasksBelowDesired', 'Fewer tasks running than desired for 5 minutes: tasks fail to start or keep stopping',
    new cw.MathExpression({ expression: 'desired - running', label: 'Tasks missing', period: minute, usingMetrics: { desired: insights('DesiredTaskCount'), running: insights('RunningTaskCount') } }),
    0, GT, 5);
}
{
  // The alarms that roll a deployment back (constructs/rollout.go).
  const c = new Construct(svc, 'RollbackAlarms');
  const r = rollout;
  const period = seconds(r.periodSeconds);
  const action = new cwa.SnsAction(topic);
  const m = targetGroup.metrics;
  const sum = { period, statistic: 'Sum' };
  const requests = m.requestCount(sum);
  const errorRate = new cw.MathExpression({
    expression: `IF(requests >= ${r.minRequests}, 100 * FILL(errors, 0) / requests, 0)`, label: 'Target 5xx, % of requests', period,
    usingMetrics: { errors: m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum), requests },
  });
  const latency = new cw.MathExpression({
    expression: `IF(requests >= ${r.minRequests}, 1000 * p95, 0)`, label: 'Target response time p95, ms', period,
    usingMetrics: { p95: m.targetResponseTime({ period, statistic: 'p95' }), requests },
  });
  const alarms = [], names = [];
  const add = (id, alarmName, description, metric, threshold) => {
    alarmName = `${name}-${alarmName}`;
    const alarm = new cw.Alarm(c, id, {
      alarmDescription: `${description}; rolls a deployment back`, alarmName, comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      datapointsToAlarm: r.datapoints, evaluationPeriods: r.periods, metric, threshold, treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    alarms.push(alarm);
    names.push(alarmName);
  };
  const within = `in ${r.datapoints} of ${r.periods} minutes with at least ${r.minRequests} requests`;
  add('ErrorRate', 'rollback-5xx-rate', `Tasks in the target group answered more than ${r.errorRatePercent} % of their requests with 5xx, ${within}`, errorRate, r.errorRatePercent);
  add('LatencyP95', 'rollback-p95-latency', `p95 response time of the tasks in the target group above ${r.latencyP95Ms} ms, ${within}`, latency, r.latencyP95Ms);
  // ECS looks the alarms up by name: they exist before the service.
  for (const a of alarms) service.node.addDependency(a);
  service.enableDeploymentAlarms(names, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
}
new cdk.CfnOutput(svc, 'ServiceUrl', { description: 'Where the service answers', value: url });
// The image parameter is read by name, not by reference: it must exist before the service's first deploy.
svc.addStackDependency(reg, 'the image parameter must exist before the service reads it');

// ---- Pipeline (stacks/pipeline.go) ----
const pipe = new cdk.Stack(app, 'Pipeline', stackProps('pipeline', `CodePipeline from ${sourceRepository} to the Fargate service of ${name}`));
const conn = new connections.CfnConnection(pipe, 'Connection', { connectionName: name, providerType: 'GitHub' });
const connectionArn = conn.attrConnectionArn;
new cdk.CfnOutput(pipe, 'ConnectionArn', {
  description: 'Starts PENDING: approve it once in the console (Developer Tools > Settings > Connections > Update pending connection)',
  value: connectionArn,
});

// Artifact store: a bucket under the environment key, with server access logs (constructs/buckets.go).
let artifacts;
{
  const c = new Construct(pipe, 'Artifacts');
  const accessLogs = privateBucket(c, 'AccessLogs', { expireAfterDays: retentionDays, retain: false });
  artifacts = privateBucket(c, 'Bucket', { expireAfterDays: 30, key: envKey, logPrefix: 'artifacts/', retain: false, serverAccessLogs: accessLogs });
}

// The image build (constructs/imagebuild.go): BuildKit with a registry cache of every stage.
let buildProject;
{
  const c = new Construct(pipe, 'ImageBuild');
  const phase = (commands) => ({ commands, 'on-failure': 'ABORT' });
  const pre = [
    'COMMIT="${CODEBUILD_RESOLVED_SOURCE_VERSION:?the build has no source version}"',
    'IMAGE_TAG="${COMMIT:0:7}"',
    'IMAGE_URI="$REPOSITORY_URI:$IMAGE_TAG"',
    'aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"',
    'if LOOKUP="$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$IMAGE_TAG" 2>&1 >/dev/null)"; then EXISTS=1; elif [[ "$LOOKUP" == *ImageNotFoundException* ]]; then EXISTS=0; else echo "error: cannot tell whether $IMAGE_URI exists, so the build stops instead of pushing over an immutable tag: $LOOKUP" >&2; false; fi',
    `CACHE_REF="$CACHE_REPOSITORY_URI:${cacheTag}"`,
  ];
  const build = [
    `awk -v f="$DOCKERFILE" -v q="'" '${dockerHubCheck}' "$DOCKERFILE"`,
    'if [ "$EXISTS" = 0 ]; then docker buildx create --name cache --driver docker-container --driver-opt image="$BUILDKIT_IMAGE" --bootstrap; fi',
    'if [ "$EXISTS" = 0 ]; then docker buildx build --builder cache --provenance=false --push --cache-from "type=registry,ref=$CACHE_REF" --cache-to "type=registry,ref=$CACHE_REF,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true" -f "$DOCKERFILE" -t "$IMAGE_URI" "$BUILD_CONTEXT"; fi',
  ];
  const post = [
    `printf '[{"name":${JSON.stringify(containerName)},"imageUri":"%s"}]' "$IMAGE_URI" > imagedefinitions.json`,
    'cat imagedefinitions.json',
  ];
  buildProject = new cb.PipelineProject(c, 'Project', {
    buildSpec: cb.BuildSpec.fromObject({
      artifacts: { files: ['imagedefinitions.json'] }, env: { shell: 'bash' },
      phases: { build: phase(build), post_build: phase(post), pre_build: phase(pre) }, version: '0.2',
    }),
    description: 'Builds the image, pushes it to ECR, writes imagedefinitions.json',
    environment: { buildImage: cb.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_4_0, computeType: cb.ComputeType.SMALL, privileged: true },
    environmentVariables: {
      BUILDKIT_IMAGE: { value: buildKitImage }, BUILD_CONTEXT: { value: 'app' }, CACHE_REPOSITORY_URI: { value: buildCache.repositoryUri },
      DOCKERFILE: { value: 'app/Dockerfile' }, REPOSITORY_NAME: { value: repo.repositoryName }, REPOSITORY_URI: { value: repo.repositoryUri },
    },
    logging: codeBuildLogging(c, envKey),
    timeout: minutes(30),
  });
  repo.grantPullPush(buildProject);
  buildCache.grantPullPush(buildProject);
  repo.grant(buildProject, 'ecr:DescribeImages');
}

const role = new iam.Role(pipe, 'PipelineRole', {
  assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'), description: 'The pipeline and all its actions',
});
grantUseConnection(role, connectionArn);
grantUseConnection(buildProject, connectionArn);

const [owner, repoName] = sourceRepository.split('/');
const sourceOutput = new cp.Artifact('Source'), buildOutput = new cp.Artifact('Image');
const source = new cpa.CodeStarConnectionsSourceAction({
  actionName: 'Source', branch: 'main', codeBuildCloneOutput: true, connectionArn, output: sourceOutput, owner, repo: repoName, triggerOnPush: true,
});
const stages = [
  { actions: [source], stageName: 'Source' },
  { actions: [new cpa.CodeBuildAction({ actionName: 'BuildImage', input: sourceOutput, outputs: [buildOutput], project: buildProject })], stageName: 'Build' },
];

// The deploy step: rolls the image out with ECS's API and waits for ECS's verdict (constructs/ecsdeploy.go).
let deployProject;
{
  const c = new Construct(pipe, 'EcsDeploy');
  const stack = cdk.Stack.of(c);
  deployProject = new cb.PipelineProject(c, 'Project', {
    buildSpec: cb.BuildSpec.fromObject(shell([deployScript], { 'exported-variables': ['PREVIOUS_TASK_DEFINITION'] })),
    description: "Rolls the built image out to the ECS service and waits for ECS's verdict, bake time included",
    environment: stepEnvironment(),
    environmentVariables: {
      CLUSTER: { value: service.cluster.clusterArn }, CONTAINER_NAME: { value: containerName },
      SERVICE: { value: service.serviceName }, WAIT_SECONDS: { value: String(deployTimeoutMinutes * 60 - deployOverheadSeconds) },
    },
    logging: codeBuildLogging(c, envKey),
    timeout: minutes(deployTimeoutMinutes),
  });
  const arn = (resource, resourceName) => stack.formatArn({ arnFormat: cdk.ArnFormat.SLASH_RESOURCE_NAME, resource, resourceName, service: 'ecs' });
  for (const st of [
    { actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'], resources: [service.serviceArn], sid: 'UpdateThisService' },
    { actions: ['ecs:DescribeServiceDeployments', 'ecs:StopServiceDeployment'], resources: [arn('service-deployment', `${service.cluster.clusterName}/${service.serviceName}/*`)], sid: 'WatchItsDeployments' },
    { actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], resources: ['*'], sid: 'RegisterRevisions' },
    { actions: ['ecs:TagResource'], resources: [arn('task-definition', `${taskDef.family}:*`)], sid: 'TagRevisions' },
    passTaskRoles(taskDef),
  ]) deployProject.addToRolePolicy(new iam.PolicyStatement(st));
}
const deployAction = new cpa.CodeBuildAction({ actionName: 'Deploy', input: buildOutput, project: deployProject, variablesNamespace: 'Deploy' });
stages.push({ actions: [deployAction], stageName: 'Deploy' });

// The release record: tags the image released-<tag> and writes the image parameter (constructs/release.go).
let recordProject;
{
  const c = new Construct(pipe, 'ReleaseRecord');
  const n = JSON.stringify(containerName), p = releasedTagPrefix;
  const manifestTypes = [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
  ];
  const commands = [
    `IMAGE_URI="$(jq -er --argjson name '${n}' '.[] | select(.name == $name) | .imageUri' imagedefinitions.json)" || { echo "imagedefinitions.json names no image for container ${containerName}" >&2; exit 1; }`,
    'TAG="${IMAGE_URI#"$REPOSITORY_URI":}"; if [ "$TAG" = "$IMAGE_URI" ] || [ -z "$TAG" ]; then echo "imagedefinitions.json names $IMAGE_URI, which is not an image of $REPOSITORY_URI: nothing to release" >&2; exit 1; fi',
    `aws ecr batch-get-image --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$TAG" --accepted-media-types ${manifestTypes.join(' ')} --output json > image.json`,
    'jq -e \'.images | length == 1\' image.json > /dev/null || { echo "ECR has no image $IMAGE_URI to release: $(jq -c .failures image.json)" >&2; exit 1; }',
    "jq -j '.images[0].imageManifest' image.json > manifest.json",
    'if OUT="$(aws ecr put-image --repository-name "$REPOSITORY_NAME" --image-tag "' + p + '$TAG" --image-manifest file://manifest.json --image-manifest-media-type "$(jq -r \'.images[0].imageManifestMediaType\' image.json)" --image-digest "$(jq -r \'.images[0].imageId.imageDigest\' image.json)" 2>&1 >/dev/null)"; then echo "tagged $IMAGE_URI as ' + p + '$TAG"; elif [[ "$OUT" == *ImageAlreadyExistsException* ]]; then echo "$IMAGE_URI was tagged ' + p + '$TAG before"; else echo "error: cannot tag $IMAGE_URI as ' + p + '$TAG, so the lifecycle policy could expire it; the image parameter still names the previous release: $OUT" >&2; exit 1; fi',
    'aws ssm put-parameter --name "$IMAGE_PARAMETER" --value "$IMAGE_URI" --type String --overwrite',
    'echo "released $IMAGE_URI: $IMAGE_PARAMETER now names it"',
  ];
  recordProject = new cb.PipelineProject(c, 'Project', {
    buildSpec: cb.BuildSpec.fromObject(shell(commands)),
    description: 'Records the image the ECS deploy rolled out as the released one',
    environment: stepEnvironment(),
    environmentVariables: {
      IMAGE_PARAMETER: { value: imageParam.parameterName }, REPOSITORY_NAME: { value: repo.repositoryName }, REPOSITORY_URI: { value: repo.repositoryUri },
    },
    logging: codeBuildLogging(c, envKey),
    timeout: minutes(5),
  });
  imageParam.grantWrite(recordProject);
  repo.grant(recordProject, 'ecr:BatchGetImage', 'ecr:PutImage');
}

// The smoke test through the load balancer, rolling back on failure (constructs/smoketest.go).
let smokeProject;
{
  const c = new Construct(pipe, 'SmokeTest');
  smokeProject = new cb.PipelineProject(c, 'Project', {
    buildSpec: cb.BuildSpec.fromObject(shell([smokeScript])),
    description: 'Requests the health-check path and the smoke-test paths through the load balancer after a deploy',
    environment: stepEnvironment(),
    environmentVariables: {
      CLUSTER: { value: service.cluster.clusterArn }, SERVICE: { value: service.serviceName }, SMOKE_PATHS: { value: smokeTestPaths.join(' ') },
      SMOKE_REQUEST_SECONDS: { value: '10' }, SMOKE_TRIES: { value: '3' }, SMOKE_URL: { value: url },
    },
    logging: codeBuildLogging(c, envKey),
    timeout: minutes(5),
  });
  smokeProject.addToRolePolicy(new iam.PolicyStatement({
    actions: ['ecs:DescribeServices', 'ecs:UpdateService'], resources: [service.serviceArn], sid: 'RollBackThisService',
  }));
  smokeProject.addToRolePolicy(new iam.PolicyStatement(passTaskRoles(taskDef)));
}
stages.push({
  actions: [
    new cpa.CodeBuildAction({
      actionName: 'SmokeTest',
      environmentVariables: { PREVIOUS_TASK_DEFINITION: { value: deployAction.variable('PREVIOUS_TASK_DEFINITION') } },
      input: buildOutput, project: smokeProject, runOrder: 1,
    }),
    new cpa.CodeBuildAction({ actionName: 'RecordImage', input: buildOutput, project: recordProject, runOrder: 2 }),
  ],
  stageName: 'Release',
});

const pipeline = new cp.Pipeline(pipe, 'Pipeline', {
  artifactBucket: artifacts, crossAccountKeys: false, pipelineType: cp.PipelineType.V2, restartExecutionOnUpdate: false, role, stages,
  triggers: [{ gitConfiguration: { pushFilter: [{ branchesIncludes: ['main'] }], sourceAction: source }, providerType: cp.ProviderType.CODE_STAR_SOURCE_CONNECTION }],
  usePipelineRoleForActions: true,
});
// Publishes to the alarm topic without a grant of its own: the topic's policy admits
// EventBridge rules of this account (constructs/alarms.go TopicTarget).
class TopicTarget {
  #topic; #message;
  constructor(t, message) { this.#topic = t; this.#message = message; }
  bind() { return { arn: this.#topic.topicArn, input: this.#message }; }
}
pipeline.onStateChange('Failed', {
  description: 'A pipeline execution failed',
  eventPattern: { detail: { state: ['FAILED'] } },
  target: new TopicTarget(topic, events.RuleTargetInput.fromText(
    `Pipeline ${events.EventField.fromPath('$.detail.pipeline')} execution ${events.EventField.fromPath('$.detail.execution-id')} failed.`)),
});
new cdk.CfnOutput(pipe, 'PipelineName', { value: pipeline.pipelineName });
app.synth();

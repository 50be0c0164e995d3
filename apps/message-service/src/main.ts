import { Logger } from '@nestjs/common';

new Logger('auth-server').log('placeholder');

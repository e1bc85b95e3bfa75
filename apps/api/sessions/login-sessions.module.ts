import { Module } from '@nestjs/common';
import { LoginSessionsResolver } from './login-sessions.resolver';
import { LoginSessionsService } from './login-sessions.service';

@Module({ providers: [LoginSessionsResolver, LoginSessionsService] })
export class LoginSessionsModule {}
